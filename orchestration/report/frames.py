"""The charts' data, compact: one shared dataset per table, only the columns drawn, in the charts' units
(USD bn / m, percent), rounded, and runs of a status stored as segments instead of one row per day."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping

import pandas as pd

# day-series column -> (source column, scale into the chart's unit, decimals)
DAILY_COLUMNS = {
    "price": ("price_close_usd", 1, 0),
    "oi_bn": ("oi_index_like_for_like", 1e-9, 3),
    "oi_high_bn": ("oi_high_90d", 1e-9, 3),
    "oi_total_bn": ("oi_usd_total", 1e-9, 3),
    "funding": ("funding_8h_oi_weighted", 100, 5),
    "funding_p90": ("funding_p90_trailing_365d", 100, 5),
    "streak_h": ("funding_hours_above_p90", 1, 0),
    "liq_long_m": ("liq_long_usd", 1e-6, 2),
    "liq_short_m": ("liq_short_usd", 1e-6, 2),
    "cluster_pct": ("liq_cluster_share_of_oi", 100, 2),
    "cluster_p90_pct": ("liq_cluster_share_p90_trailing", 100, 2),
    "heatmap_pct": ("heatmap_share_of_oi", 100, 2),
    "etf_m": ("etf_net_flow_usd", 1e-6, 1),
    "etf_5d_m": ("etf_net_flow_5d_usd", 1e-6, 1),
    "stable_bn": ("stablecoin_supply_usd", 1e-9, 2),
    "exch_chg_7d_pct": ("exchange_balance_change_7d", 100, 2),
    "complete_pct": ("data_completeness", 100, 1),
    "score": ("leverage_condition_score", 1, 1),
}
# flags kept as 1 / null so that a chart filters on them without a second dataset
DAILY_FLAGS = {"oi_high": "oi_at_local_high", "dense": "liq_clusters_dense"}


def with_oi_high(mart: pd.DataFrame, v: Mapping[str, Any]) -> pd.DataFrame:
    """Adds ``oi_high_90d``: the like-for-like index's high over the trailing ``oi_local_high_window_days``
    days (today included), the level the OI condition is read against, for the band and the sentences."""
    frame = mart.sort_values("date").reset_index(drop=True)
    series = frame.set_index(pd.to_datetime(frame["date"]))["oi_index_like_for_like"]
    frame["oi_high_90d"] = series.rolling(f"{v['oi_local_high_window_days']}D", min_periods=1).max().to_numpy()
    frame["heatmap_share_of_oi"] = frame["liq_cluster_heatmap_usd_within_5pct"] / frame["oi_usd_total"]
    return frame


def _iso(values) -> list[str]:
    return [pd.Timestamp(d).strftime("%Y-%m-%d") for d in values]


def columnar(frame: pd.DataFrame) -> dict:
    """``{"columns": [...], "rows": [[...], ...]}`` with nulls for missing values: the page turns it into
    records; half the size of a list of objects."""
    clean = frame.astype(object).where(frame.notna(), None)
    return {"columns": list(frame.columns), "rows": clean.to_numpy().tolist()}


def daily(mart: pd.DataFrame, v: Mapping[str, Any]) -> pd.DataFrame:
    """One row per day, the columns every time-series chart reads, in chart units."""
    frame = with_oi_high(mart, v)
    out = pd.DataFrame({"date": _iso(frame["date"])})
    for name, (column, scale, digits) in DAILY_COLUMNS.items():
        out[name] = pd.to_numeric(frame[column], errors="coerce").mul(scale).round(digits)
    for name, column in DAILY_FLAGS.items():
        out[name] = _flag(frame[column].fillna(False).astype(bool))
    out["cut"] = _flag(frame["position_size_multiplier"] < v["multiplier_default"])
    out["oi_low_bn"] = (out["oi_high_bn"] * (1 - v["oi_local_high_tolerance"])).round(3)
    return out


def _flag(held: pd.Series) -> pd.Series:
    return pd.Series([1 if h else None for h in held], index=held.index, dtype=object)


def segments(frame: pd.DataFrame, key: str | None, value: str, skip: tuple = ()) -> pd.DataFrame:
    """Runs of consecutive days with the same ``value`` (per ``key``) as ``[start, end)`` segments: a status
    that holds for months is one row, not hundreds."""
    if frame.empty:
        return pd.DataFrame(columns=["key", "start", "end", "value"])
    data = frame.assign(date=pd.to_datetime(frame["date"]), key=frame[key] if key else "")
    data = data.sort_values(["key", "date"])
    new_run = ((data["key"] != data["key"].shift()) | (data[value] != data[value].shift())
               | (data["date"] - data["date"].shift() != timedelta(days=1)))
    data["run"] = new_run.cumsum()
    runs = data.groupby("run").agg(key=("key", "first"), start=("date", "min"), end=("date", "max"),
                                   value=(value, "first"))
    runs = runs[~runs["value"].isin(skip)]
    runs["end"] = runs["end"] + timedelta(days=1)
    return pd.DataFrame({"key": runs["key"].astype(str), "start": _iso(runs["start"]), "end": _iso(runs["end"]),
                         "value": runs["value"].astype(str)}).reset_index(drop=True)


def regimes(mart: pd.DataFrame) -> pd.DataFrame:
    """Runs of a regime other than neutral, for the price chart's shading."""
    return segments(mart[["date", "regime"]], None, "regime", skip=("neutral",))


def venues(venue_daily: pd.DataFrame) -> pd.DataFrame | None:
    """OI by venue, wide (one column per venue, USD bn); None when no venue's own OI was ever observed
    (recorded history: the total is an aggregator's all-exchange figure)."""
    known = venue_daily.dropna(subset=["oi_usd"])
    if known.empty:
        return None
    wide = known.pivot_table(index="date", columns="venue", values="oi_usd", aggfunc="sum").mul(1e-9).round(3)
    wide = wide.reset_index()
    wide["date"] = _iso(wide["date"])
    wide.columns.name = None
    return wide


def backtest(daily_backtest: pd.DataFrame) -> pd.DataFrame:
    """The two books' equity and drawdown, in percent."""
    frame = daily_backtest.sort_values("date")
    out = pd.DataFrame({"date": _iso(frame["date"])})
    for column in ("rule_equity", "constant_equity"):
        out[column] = frame[column].round(4).to_numpy()
    for column in ("rule_drawdown", "constant_drawdown"):
        out[column] = (frame[column] * 100).round(2).to_numpy()
    return out


def landing(status: pd.DataFrame) -> pd.DataFrame:
    """Each feed's landing status over time, as segments (key = provider/dataset)."""
    feeds = status.assign(feed=status["provider"] + "/" + status["dataset"])
    return segments(feeds[["date", "feed", "status"]], "feed", "status")


def sources(mart: pd.DataFrame) -> pd.DataFrame:
    """The runs of days each source was present in the mart (``sources_present``); absent days are gaps."""
    listed = mart[["date", "sources_present"]].assign(
        key=mart["sources_present"].fillna("").str.split(",")).explode("key")
    listed = listed[listed["key"] != ""].assign(status="present")
    return segments(listed[["date", "key", "status"]], "key", "status")


def checks(aggregator_check: pd.DataFrame) -> pd.DataFrame:
    """Each aggregator cross-check's status over time, as segments (key = check name)."""
    return segments(aggregator_check[["date", "check_name", "status"]], "check_name", "status")

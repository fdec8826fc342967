"""Today's brief in words: pure functions of one mart row and the dbt vars.

The reading discipline of the brief: next to the indicator, one sentence on what it says, one on what would
confirm it and one on what would cancel it. Every number comes from the row (the mart's columns, plus
``oi_high_90d``: the like-for-like index's trailing high, added by ``frames.with_oi_high``) or from the vars;
the verdict itself (conditions, multiplier, regime, codes) is the mart's and is never recomputed here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from pandas import NA

Row = Mapping[str, Any]


def _missing(value) -> bool:
    """None, NaN and pandas' NA (a row read from a frame carries any of them)."""
    return value is None or value is NA or (isinstance(value, float) and math.isnan(value))


def pct(value, digits: int = 1, signed: bool = False) -> str:
    if _missing(value):
        return "n/a"
    if value and abs(value * 100) < 0.5 * 10 ** -digits:  # a small move still reads as one, not as 0.0 %
        digits = math.ceil(-math.log10(abs(value * 100)))
    return f"{value * 100:{'+' if signed else ''}.{digits}f} %"


def funding_pct(value) -> str:
    """Funding per 8 h in percent, the way the venues quote it (0.0100 %)."""
    return "n/a" if _missing(value) else f"{value * 100:.4f} %/8h"


def usd(value) -> str:
    if _missing(value):
        return "n/a"
    size = abs(value)
    sign = "-" if value < 0 else ""
    for scale, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if size >= scale:
            return f"{sign}${size / scale:,.2f}{suffix}"
    return f"{sign}${size:,.0f}"


def num(value, fmt: str = "g") -> str:
    return "n/a" if _missing(value) else format(value, fmt)


@dataclass(frozen=True)
class Condition:
    name: str
    label: str
    value: str       # today's value, in words
    threshold: str   # what it takes to hold
    held: bool | None  # None: not computable today (too little history)


def oi_gap(row: Row) -> float | None:
    """How far the like-for-like OI index sits under its trailing high (0 at the high); None when unknown."""
    index, high = row.get("oi_index_like_for_like"), row.get("oi_high_90d")
    if _missing(index) or _missing(high) or not high:
        return None
    return 1 - index / high


def _held(value) -> bool | None:
    return None if _missing(value) else bool(value)


def conditions(row: Row, v: Mapping[str, Any]) -> list[Condition]:
    """The three conditions of the brief, each with today's value against its threshold."""
    window, tol = v["oi_local_high_window_days"], v["oi_local_high_tolerance"]
    gap = oi_gap(row)
    oi_value = ("no like-for-like OI today" if gap is None
                else f"like-for-like OI {usd(row.get('oi_index_like_for_like'))}, "
                     + ("at its high" if gap <= 0 else f"{pct(gap)} under its {window}-day high"))
    hours, sustained = row.get("funding_hours_above_p90"), v["funding_sustained_hours"]
    funding_value = (f"{num(hours)} h above P90 (funding {funding_pct(row.get('funding_8h_oi_weighted'))}, "
                     f"P90 {funding_pct(row.get('funding_p90_trailing_365d'))})")
    share, share_p90 = row.get("liq_cluster_share_of_oi"), row.get("liq_cluster_share_p90_trailing")
    band = v["liq_cluster_band"]
    return [
        Condition("oi_at_local_high", f"OI at its {window}-day high", oi_value,
                  f"within {pct(tol, 0)} of the high", _held(row.get("oi_at_local_high"))),
        Condition("funding_sustained_above_p90", f"Funding above its P{round(v['funding_percentile'] * 100)} "
                  f"for {sustained} h", funding_value,
                  f"strictly above the trailing {v['funding_lookback_days']}-day P"
                  f"{round(v['funding_percentile'] * 100)} for {sustained} h or more",
                  _held(row.get("funding_sustained_above_p90"))),
        Condition("liq_clusters_dense", f"Dense liquidation clusters within ±{pct(band, 0)}",
                  f"{pct(share)} of OI within ±{pct(band, 0)} of the close",
                  f"above {pct(share_p90)} (P{round(v['liq_cluster_dense_percentile'] * 100)} of its previous "
                  f"{v['liq_cluster_dense_lookback_days']} days)", _held(row.get("liq_clusters_dense"))),
    ]


def crowded(row: Row, v: Mapping[str, Any]) -> bool:
    """The mart cut the position size today (all three conditions held)."""
    multiplier = row.get("position_size_multiplier")
    return not _missing(multiplier) and multiplier < v["multiplier_default"]


def code_phrase(code: str, row: Row, v: Mapping[str, Any]) -> str:
    """One confirmation / cancellation code of the mart, in words, with today's figure behind it."""
    high = f"{pct(v['oi_local_high_tolerance'], 0)} of its {v['oi_local_high_window_days']}-day high"
    oi_7d, etf_5d = row.get("oi_change_7d"), row.get("etf_net_flow_5d_usd")
    funding, p90 = funding_pct(row.get("funding_8h_oi_weighted")), funding_pct(row.get("funding_p90_trailing_365d"))
    share, share_p90 = pct(row.get("liq_cluster_share_of_oi")), pct(row.get("liq_cluster_share_p90_trailing"))
    exchange, stable = row.get("exchange_balance_change_7d"), row.get("stablecoin_supply_change_7d")
    etf_trend, hours = usd(v["etf_flow_trend_5d_usd"]), num(row.get("funding_hours_above_p90"))
    phrases = {
        "oi_at_local_high": f"OI within {high}",
        "oi_at_all_time_high": "OI at its all-time high",
        "oi_rising_7d": f"OI up {pct(oi_7d)} in 7 days",
        "oi_below_local_high": f"OI more than {high.replace(' of its', ' under its')}",
        "oi_falling_7d": f"OI down {pct(_neg(oi_7d))} in 7 days",
        "funding_above_p90": "funding above its P90 in the day's last hour",
        f"funding_above_p90_{v['funding_sustained_hours']}h":
            f"funding above its P90 for {hours} h (at least {v['funding_sustained_hours']} h)",
        "funding_at_or_below_p90": f"funding at or below its P90 ({funding} against {p90})",
        "funding_negative": "negative funding (shorts pay longs)",
        "liq_clusters_dense": f"dense liquidation clusters near price ({share} of OI, above {share_p90})",
        "liq_clusters_sparse": f"liquidation clusters not dense ({share} of OI, P90 {share_p90})",
        "etf_outflows_5d": f"spot ETF net outflows of {usd(_neg(etf_5d))} over 5 trading days (beyond {etf_trend}: "
                           "no spot support)",
        "etf_inflows_5d": f"spot ETF net inflows of {usd(etf_5d)} over 5 trading days (beyond {etf_trend}: demand "
                          "that can absorb a flush)",
        "price_below_50d_ma": "price below its 50-day average",
        "price_above_50d_ma": "price above its 50-day average",
        "spot_volume_above_30d_median": f"spot volume {num(row.get('spot_volume_vs_30d_median'), '.2f')}x its "
                                        "30-day median (buyers that can absorb forced selling)",
        "exchange_balance_rising_7d": f"BTC on exchanges up {pct(exchange)} in 7 days (coins arriving to be sold)",
        "exchange_balance_falling_7d": f"BTC on exchanges down {pct(_neg(exchange))} in 7 days (coins leaving: "
                                       "less to sell)",
        "stablecoin_supply_rising_7d": f"stablecoin supply up {pct(stable)} in 7 days (dry powder to absorb a flush)",
        "stablecoin_supply_falling_7d": f"stablecoin supply down {pct(_neg(stable))} in 7 days (less dry powder)",
    }
    return phrases.get(code, code.replace("_", " "))


def _neg(value):
    return None if _missing(value) else -value


def codes(text) -> list[str]:
    return [] if _missing(text) or not text else [c for c in str(text).split(",") if c]


def _join(parts: list[str], word: str = "and") -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {word} " + parts[-1]


def what_it_says(row: Row, v: Mapping[str, Any]) -> str:
    met = [c for c in conditions(row, v) if c.held]
    unknown = [c for c in conditions(row, v) if c.held is None]
    multiplier = num(row.get("position_size_multiplier"), ".1f")
    if crowded(row, v):
        return (f"Leverage is crowded: {_join([c.label for c in met])} all hold, so a leveraged position "
                f"should be cut to {multiplier}x its normal size today.")
    held = f" ({_join([c.label for c in met])})" if met else ""
    score = row.get("leverage_condition_score")
    tail = (f"; {_join([c.label for c in unknown])} cannot be evaluated yet (too little history)"
            if unknown else "")
    return (f"Leverage is not crowded enough to cut size: {len(met)} of the three conditions "
            f"{'holds' if len(met) == 1 else 'hold'}{held}, regime {str(row.get('regime')).replace('_', ' ')}, "
            f"score {num(score, '.0f')}/100{tail}; the multiplier stays at {multiplier}.")


def what_would_confirm(row: Row, v: Mapping[str, Any]) -> str:
    """The data of today that supports the reading: the mart's confirmations when size is cut, its
    cancellations when it is not."""
    supporting = codes(row.get("confirmations") if crowded(row, v) else row.get("cancellations"))
    if not supporting:
        return "Confirmed by: nothing else in today's data beyond the conditions themselves."
    return "Confirmed by: " + _join([code_phrase(c, row, v) for c in supporting]) + "."


def _missing_condition_phrase(condition: Condition, row: Row, v: Mapping[str, Any]) -> str:
    if condition.name == "oi_at_local_high":
        gap = oi_gap(row)
        to_go = "" if gap is None else f" (now {pct(gap)} under it)"
        return (f"OI climbing back within {pct(v['oi_local_high_tolerance'], 0)} of its "
                f"{v['oi_local_high_window_days']}-day high{to_go}")
    if condition.name == "funding_sustained_above_p90":
        return (f"funding staying above its P90 of {funding_pct(row.get('funding_p90_trailing_365d'))} for "
                f"{v['funding_sustained_hours']} h (now {num(row.get('funding_hours_above_p90'))} h)")
    return (f"the liquidation cluster share rising above {pct(row.get('liq_cluster_share_p90_trailing'))} of OI "
            f"(now {pct(row.get('liq_cluster_share_of_oi'))})")


def _lapse_phrase(condition: Condition, row: Row, v: Mapping[str, Any]) -> str:
    if condition.name == "oi_at_local_high":
        return (f"OI falling more than {pct(v['oi_local_high_tolerance'], 0)} under its "
                f"{v['oi_local_high_window_days']}-day high")
    if condition.name == "funding_sustained_above_p90":
        return f"funding dropping to its P90 of {funding_pct(row.get('funding_p90_trailing_365d'))} or below"
    return f"the cluster share falling to {pct(row.get('liq_cluster_share_p90_trailing'))} of OI or less"


def what_would_cancel(row: Row, v: Mapping[str, Any]) -> str:
    """What would overturn the reading: a condition lapsing when size is cut; the missing conditions all
    holding when it is not. Today's data already pointing that way is named too."""
    conds = conditions(row, v)
    if crowded(row, v):
        sentence = "Cancelled by any of: " + _join([_lapse_phrase(c, row, v) for c in conds], "or")
        against = codes(row.get("cancellations"))
    else:
        missing = [c for c in conds if not c.held]
        sentence = ("Cancelled only when all three hold on one day, which would cut size to "
                    f"{v['multiplier_all_conditions']:g}x: it takes " + _join([_missing_condition_phrase(c, row, v)
                                                                              for c in missing]))
        against = codes(row.get("confirmations"))
    if against:
        sentence += "; already pointing that way: " + _join([code_phrase(c, row, v) for c in against])
    return sentence + "."

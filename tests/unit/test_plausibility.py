"""Plausibility gates: every series bounded absolutely and against its own recent history.

The mechanism (``orchestration.gates``: ``meta.plausibility`` in a suite, the derived daily frame, Great
Expectations on it) on small frames; the probe's corruptions (x1000 OI, funding 20x its normal and the probe's
0.02, a price /1000) blocked with the table, the days and the rule; the documented cascade days of the sample
world and real recorded history passing; the marts run's re-check of the raw tables in Dagster.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration import gates
from orchestration.assets.checks import gate_check, window_query
from orchestration.definitions import datasets
from orchestration.feeds.base import Window
from orchestration.feeds.http import FeedClient, RateLimiter
from orchestration.partitions import window_tags
from orchestration.raw_store import land, raw_columns, raw_table
from orchestration.resources import WarehouseResource
from orchestration.sample.transport import SampleTransport

SHA = "ab" * 32
END = date(2024, 2, 22)  # the probe's days are the two before it
PROBE_DAYS = Window(date(2024, 2, 20), date(2024, 2, 21))
PROBE = PROBE_DAYS.half_open  # the bounds gates.validate takes: [2024-02-20, END)
DAYS_TEXT = "2024-02-20..2024-02-21"
DATASETS = {raw_table(d).replace(".", "_"): d for d in datasets()}


def _hours(days: int, end: date = END) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(end) - pd.Timedelta(days=days), periods=24 * days, freq="1h")


def _wiggle(n: int, seed: int, size: float = 0.01) -> np.ndarray:
    return 1 + size * np.sin(np.arange(n) / 7.0 + seed)


def bybit_oi(days: int = 40, level: float = 63_000.0) -> pd.DataFrame:
    ts = _hours(days)
    return pd.DataFrame({"partition_date": ts.normalize(), "symbol": "BTCUSDT", "ts": ts, "interval": "1h",
                         "oi_btc": level * _wiggle(len(ts), 1), "payload_sha256": SHA})


def binance_funding(days: int = 40, rate: float = 0.00065) -> pd.DataFrame:
    ft = pd.date_range(pd.Timestamp(END) - pd.Timedelta(days=days), periods=3 * days, freq="8h")
    return pd.DataFrame({"partition_date": ft.normalize(), "symbol": "BTCUSDT", "funding_time": ft,
                         "funding_rate": rate * _wiggle(len(ft), 2, 0.2), "mark_price": 52_000.0,
                         "payload_sha256": SHA})


def klines(days: int = 40, price: float = 52_000.0) -> pd.DataFrame:
    ot = _hours(days)
    close = price * _wiggle(len(ot), 3, 0.02)
    return pd.DataFrame({"partition_date": ot.normalize(), "symbol": "BTCUSDT", "interval": "1h", "open_time": ot,
                         "close_time": ot + pd.Timedelta(milliseconds=3_599_999), "open": close, "high": close * 1.002,
                         "low": close * 0.998, "close": close, "volume": 500.0, "quote_volume": 500.0 * close,
                         "trades": np.int64(10_000), "taker_buy_base": 250.0, "taker_buy_quote": 250.0 * close,
                         "payload_sha256": SHA})


def mart(days: int = 40) -> pd.DataFrame:
    d = pd.date_range(pd.Timestamp(END) - pd.Timedelta(days=days), periods=days, freq="D")
    n = len(d)
    return pd.DataFrame({
        "date": d, "asset": "BTC", "price_close_usd": 52_000.0 * _wiggle(n, 4, 0.03),
        "oi_usd_crypto_native": 27e9, "oi_usd_cme": 8e9, "oi_usd_total": 35e9 * _wiggle(n, 5, 0.03),
        "crypto_native_share_of_oi": 0.77, "oi_venues_present": "binance,bybit,cme,deribit,dydx,okx",
        "oi_venues_carried": "", "oi_venues_from_aggregator": "deribit", "oi_source": "venues",
        "oi_link_source": "venues", "stale_sources": "", "liq_cluster_oi_grain": "1h",
        "funding_venues_present": "binance,bybit,deribit,dydx,okx", "liq_long_usd": 6e7 * _wiggle(n, 6, 0.5),
        "liq_short_usd": 4e7 * _wiggle(n, 7, 0.5), "liq_cluster_usd_within_5pct": 1.5e9,
        "liq_cluster_share_of_oi": 0.05, "liq_cluster_share_p90_trailing": 0.045, "liq_clusters_dense": False,
        "oi_check_status": "agreed",
        "funding_check_status": "agreed", "liq_check_status": "agreed", "stablecoin_supply_usd": 1.6e11,
        "stablecoin_supply_change_7d": 0.004, "exchange_balance_btc": 2.9e6, "exchange_balance_change_7d": -0.002,
        "exchange_balance_status": "agreed", "exchange_balance_source": "cryptoquant", "exchange_balance_breaks": "",
        "etf_net_flow_usd": 1.5e8, "etf_net_flow_5d_usd": 6e8, "etf_flow_status": "agreed",
        "funding_8h_oi_weighted": 0.0004 * _wiggle(n, 8, 0.3), "funding_p90_trailing_365d": 0.0006,
        "conditions_met": 1, "conditions_evaluated": 3, "leverage_condition_score": 40.0, "regime": "neutral",
        "position_size_multiplier": 1.0, "data_completeness": 1.0,
        "as_of": pd.Timestamp("2024-02-22 00:05:00", tz="UTC")})


def in_probe(df: pd.DataFrame, column: str = "partition_date") -> pd.Series:
    return gates.in_window(df[column], PROBE)


def blocked(df: pd.DataFrame, suite: str, window=PROBE) -> list[str]:
    report = gates.validate(df, suite, window=window)
    assert not report.success, f"{suite} passed"
    return report.messages()


# ------------------------------------------------------------------------------------------ mechanism


def test_the_daily_frame_compares_each_day_with_its_trailing_median_and_the_day_before():
    config = gates.Plausibility("day", {"v": "median"}, lookback_days=3, min_history_days=2, max_gap_days=1)
    days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-06"])
    frame = pd.DataFrame({"day": days.repeat(2), "v": [1, 3, 2, 2, 4, 4, 8, 8, 10, 10]})  # medians 2, 2, 4, 8, 10
    daily = gates.daily_frame(frame, config).set_index("day")
    assert list(daily["__daily__v"]) == [2, 2, 4, 8, 10]
    # the median of the previous 3 calendar days, the day itself excluded, once 2 days have a value
    assert daily["__vs_trailing_median__v"].tolist()[:2] == [pytest.approx(np.nan, nan_ok=True)] * 2
    assert daily.loc["2024-01-03", "__vs_trailing_median__v"] == 2.0  # 4 / median(2, 2)
    assert daily.loc["2024-01-04", "__vs_trailing_median__v"] == 4.0  # 8 / median(2, 2, 4)
    assert daily.loc["2024-01-06", "__minus_trailing_median__v"] == 10 - 6  # 01-03..01-05: median(4, 8)
    assert daily.loc["2024-01-04", "__vs_previous_day__v"] == 2.0 and daily.loc["2024-01-04", "__minus_previous_day__v"] == 4
    assert np.isnan(daily.loc["2024-01-06", "__vs_previous_day__v"])  # a 2-day gap: no "previous day"


def test_groups_are_separate_series():
    config = gates.Plausibility("day", {"v": "sum"}, group_by=("venue",), lookback_days=5, min_history_days=1)
    frame = pd.DataFrame({"day": pd.to_datetime(["2024-01-01", "2024-01-02"] * 2),
                          "venue": ["a", "a", "b", "b"], "v": [1.0, 2.0, 100.0, 100.0]})
    daily = gates.daily_frame(frame, config)
    assert daily.set_index(["venue", "day"])["__vs_previous_day__v"].dropna().to_dict() == {
        ("a", pd.Timestamp("2024-01-02")): 2.0, ("b", pd.Timestamp("2024-01-02")): 1.0}


def test_a_bad_day_is_reported_once_not_again_as_the_next_days_move_back():
    df = bybit_oi()
    df.loc[gates.in_window(df["partition_date"], (date(2024, 2, 20), date(2024, 2, 21))), "oi_btc"] *= 3
    first, second = blocked(df, "raw_bybit__open_interest")  # and nothing about 02-21's move back
    assert re.fullmatch(r"raw\.bybit__open_interest: oi_btc on 2024-02-20 is 3\.\d+x its trailing 30-day median "
                        r"\(allowed 0\.4\.\.2\.5\)", first), first
    assert re.fullmatch(r"raw\.bybit__open_interest: oi_btc on 2024-02-20 is 3(\.\d+)?x the day before "
                        r"\(allowed 0\.5\.\.2\)", second), second


def test_only_the_window_is_validated_its_history_feeds_the_medians():
    df = bybit_oi()
    df.loc[df["partition_date"] == pd.Timestamp("2024-01-20"), "oi_btc"] *= 1000  # in the lookback, not the window
    report = gates.validate(df, "raw_bybit__open_interest", window=PROBE)
    assert report.success, report.messages()
    assert report.row_count == 48  # the window's rows
    assert not gates.validate(df, "raw_bybit__open_interest").success  # the whole table does hold the bad day


def test_window_query_reads_the_lookback_before_the_window():
    sql, params = window_query("raw.bybit__open_interest", "partition_date", PROBE_DAYS, lookback_days=30)
    assert params == ["2024-01-21", "2024-02-22"] and '"partition_date" >= ?::date' in sql
    assert gates.lookback_days("raw_bybit__open_interest") == 30
    assert gates.lookback_days("raw_cftc__cme_open_interest") == 60  # weekly reports: a longer memory
    assert gates.lookback_days("int_derivatives__aggregator_check") == 0


def test_days_are_written_as_runs():
    assert gates.days_text(["2024-02-01", "2024-02-02", "2024-02-03", "2024-02-09"]) == \
        "2024-02-01..2024-02-03, 2024-02-09"
    assert gates.days_text([date(2024, 1, d) for d in (1, 3, 5, 7)], limit=2) == "2024-01-01, 2024-01-03, and 2 more days"


#: suites of tables that are not a series over days; the daily backtest is derived from the mart, whose series
#: are bounded against their history where it is gated
NOT_DAY_SERIES = {"int_derivatives__aggregator_check", "documented_cascades", "deleveraging_events",
                  "cascade_event_study", "cascade_condition_lift", "sizing_backtest", "sizing_backtest_daily"}
#: published tables whose figures are bounded against their own history where they enter (one owner per rule):
#: every raw suite is (this test), and the mart's suite bounds the liquidations it reads
HISTORY_BOUNDED_UPSTREAM = {
    "venue_daily": "each venue's OI and funding: the raw suites of its open_interest and funding feeds",
    "int_liquidations__daily": "liq_long_usd / liq_short_usd: the mart's suite (the same figures, same run)",
    "int_etf_flows__reconciled": "each provider's daily total: raw_farside__flows and raw_sosovalue__flows",
    "int_etf_flows__by_issuer": "each fund's flow and the day's total: raw_farside__flows",
    "int_onchain__exchange_balance_reconciled": "each provider's balance: its raw suite",
    "landing_status": "no figures: a status per feed and day",
}


def test_what_the_exempt_suites_rely_on_is_bounded_against_history():
    for suite in ("raw_farside__flows", "raw_sosovalue__flows", "raw_glassnode__exchange_balance",
                  "raw_cryptoquant__exchange_reserve", "raw_binance__open_interest", "raw_binance__funding"):
        assert gates.Plausibility.from_suite(gates.load_suite_dict(suite)) is not None, suite
    mart_series = gates.Plausibility.from_suite(gates.load_suite_dict("leverage_condition")).series
    assert {"liq_long_usd", "liq_short_usd"} <= set(mart_series)


@pytest.mark.parametrize("suite", gates.suite_names())
def test_each_suite_declares_its_series_and_bounds_them_absolutely_and_against_history(suite):
    data = gates.load_suite_dict(suite)
    config = gates.Plausibility.from_suite(data)
    if suite in NOT_DAY_SERIES:  # one row per comparison, event, figure or period: no day series to compare
        assert config is None
        return
    if suite in HISTORY_BOUNDED_UPSTREAM:  # a second history rule here would be a second owner of the same rule
        assert config is None, (suite, HISTORY_BOUNDED_UPSTREAM[suite])
        return
    assert config is not None, f"{suite} has no meta.plausibility"
    columns = set(raw_columns(DATASETS[suite])) if suite in DATASETS else set(mart().columns)
    assert set(config.needs()) <= columns
    derived = [e["kwargs"]["column"] for e in data["expectations"] if gates.is_derived(e["kwargs"].get("column"))]
    assert derived and {gates.parse_derived(c)[1] for c in derived} == set(config.series)
    assert all(gates.parse_derived(c)[0] != "daily" for c in derived)
    for column in config.series:  # every series is bounded on its rows too (an absolute bound)
        assert any(e["type"] == "expect_column_values_to_be_between" and e["kwargs"].get("column") == column
                   for e in data["expectations"]), (suite, column)
        assert {gates.parse_derived(c)[0] for c in derived if gates.parse_derived(c)[1] == column} & {
            "vs_trailing_median", "minus_trailing_median"}, (suite, column)


# ------------------------------------------------------------------------------------------ the probe's cases


def test_open_interest_times_1000_is_blocked_naming_table_days_and_rule():
    df = bybit_oi()
    df.loc[in_probe(df), "oi_btc"] *= 1000
    report = gates.validate(df, "raw_bybit__open_interest", window=PROBE)
    assert not report.success and report.blocked_days == ["2024-02-20", "2024-02-21"]
    (message,) = report.messages()
    assert re.fullmatch(f"raw\\.bybit__open_interest: oi_btc on {DAYS_TEXT}: 48 rows outside its absolute "
                        r"bounds 100\.\.1e6, e\.g\. 6\.\d+e7, .*", message), message
    meta = report.to_metadata()
    assert meta["blocked_days"] == DAYS_TEXT and meta["rules_broken"] == message


def test_open_interest_times_10_passes_the_absolute_bounds_and_is_blocked_by_its_history():
    df = bybit_oi()
    df.loc[in_probe(df), "oi_btc"] *= 10
    first, second = blocked(df, "raw_bybit__open_interest")
    assert re.fullmatch(f"raw\\.bybit__open_interest: oi_btc on {DAYS_TEXT} is 9\\.\\d+x\\.\\.10\\.\\d+x its "
                        r"trailing 30-day median \(allowed 0\.4\.\.2\.5\)", first), first
    assert re.fullmatch(r"raw\.bybit__open_interest: oi_btc on 2024-02-20 is 10\.\d+x the day before "
                        r"\(allowed 0\.5\.\.2\)", second), second


@pytest.mark.parametrize("corrupt", ["x20", "probe 0.02"])
def test_funding_20_times_its_normal_is_blocked(corrupt):
    df = binance_funding()  # 0.065 %/8h: the sample world's February 2024
    df.loc[in_probe(df), "funding_rate"] = df["funding_rate"] * 20 if corrupt == "x20" else 0.02
    (message,) = blocked(df, "raw_binance__funding")
    assert message.startswith(f"raw.binance__funding: funding_rate on {DAYS_TEXT}: 6 rows outside its absolute "
                              "bounds -0.005..0.005, e.g. ")


def test_a_funding_jump_inside_the_absolute_bounds_is_blocked_by_its_history():
    df = binance_funding(rate=-0.0005)
    df.loc[in_probe(df), "funding_rate"] = 0.0045  # within +-0.5 %, but 0.5 % away from its month
    first, second = blocked(df, "raw_binance__funding")
    assert re.fullmatch(f"raw\\.binance__funding: funding_rate \\(daily mean\\) on {DAYS_TEXT} is \\+0\\.00\\d+ off "
                        r"its trailing 30-day median \(allowed -0\.004\.\.0\.004\)", first), first
    assert re.fullmatch(r"raw\.binance__funding: funding_rate \(daily mean\) on 2024-02-20 moved \+0\.00\d+ from "
                        r"the day before \(allowed -0\.004\.\.0\.004\)", second), second


def test_price_divided_by_1000_is_blocked():
    df = klines()
    for column in ("open", "high", "low", "close"):
        df.loc[in_probe(df), column] /= 1000
    messages = blocked(df, "raw_binance__spot_klines")
    assert [m.split(":")[1].strip() for m in messages] == [f"{c} on {DAYS_TEXT}" for c in ("open", "high", "low", "close")]
    assert all("48 rows outside its absolute bounds 1000..1e7, e.g. 5" in m for m in messages)
    df = klines()
    df.loc[in_probe(df), "close"] *= 100  # x100 is still below 1e7: its history catches it
    assert any(m.endswith("x its trailing 30-day median (allowed 0.4..2.5)") for m in blocked(df, "raw_binance__spot_klines"))


@pytest.mark.parametrize("column, factor, rule", [
    ("oi_usd_total", 1000, "oi_usd_total on 2024-02-20..2024-02-21: 2 rows outside its absolute bounds 1e9..5e11"),
    ("oi_usd_total", 3, "oi_usd_total on 2024-02-20..2024-02-21 is 2.8"),
    ("price_close_usd", 1 / 1000, "price_close_usd on 2024-02-20..2024-02-21: 2 rows outside its absolute bounds"),
    ("funding_8h_oi_weighted", 22, "funding_8h_oi_weighted on 2024-02-20..2024-02-21: 2 rows outside its absolute "
                                   "bounds -0.005..0.005"),
    ("liq_long_usd", 1000, "liq_long_usd on 2024-02-20..2024-02-21"),
])
def test_the_mart_bounds_its_series_absolutely_and_against_their_history(column, factor, rule):
    df = mart()
    assert gates.validate(df, "leverage_condition").success
    df.loc[in_probe(df, "date"), column] *= factor
    messages = blocked(df, "leverage_condition", window=None)  # the whole mart is gated
    assert any(m.startswith(f"main.leverage_condition: {rule}") for m in messages), messages


def test_the_issues_published_values_are_blocked_by_the_mart_suite():
    """The probe published an average total OI of $6,712 bn and an OI-weighted funding of 0.90 %/8h."""
    df = mart()
    df.loc[in_probe(df, "date"), "oi_usd_total"] = 6_712e9
    df.loc[in_probe(df, "date"), "funding_8h_oi_weighted"] = 0.009
    failed = {f.column for f in gates.validate(df, "leverage_condition").failed}
    assert {"oi_usd_total", "funding_8h_oi_weighted"} <= failed


# ------------------------------------------------------------------------------------------ loose enough

#: the documented cascades of the sample world, each landed with the month before it (its trailing history)
CASCADES = {
    "2021-04-18 and 2021-05-19": (Window(date(2021, 3, 15), date(2021, 5, 25)),
                                  [date(2021, 4, 18), date(2021, 5, 19), date(2021, 5, 20)]),
    "FTX 2022-11-08..10": (Window(date(2022, 10, 5), date(2022, 11, 15)),
                           [date(2022, 11, 8), date(2022, 11, 9), date(2022, 11, 10)]),
    "2024-08-05": (Window(date(2024, 7, 1), date(2024, 8, 10)), [date(2024, 8, 5), date(2024, 8, 6)]),
    "2025-10-10": (Window(date(2025, 9, 5), date(2025, 10, 15)), [date(2025, 10, 10), date(2025, 10, 11)]),
    # not a cascade: the sample world's funding climbs from 0.01 % to 0.22 %/8h (22x) in four days
    "funding surge 2025-06-14": (Window(date(2025, 5, 10), date(2025, 6, 20)), [date(2025, 6, 13), date(2025, 6, 14)]),
}


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> dict[str, duckdb.DuckDBPyConnection]:
    out = {}
    for name, (window, _) in CASCADES.items():
        folder = tmp_path_factory.mktemp("cascade")
        now = datetime.combine(window.end + timedelta(days=1), datetime.min.time(), timezone.utc) + timedelta(minutes=30)
        con = duckdb.connect(str(folder / "wh.duckdb"))
        for dataset in datasets():
            client = FeedClient(dataset.provider, SampleTransport(now=now), rate_limiter=RateLimiter(0),
                                sleep=lambda s: None)
            result = land(dataset, window, client, folder / "raw", con, now)
            assert result.error is None, result.error
        out[name] = con
    return out


@pytest.mark.parametrize("name", CASCADES)
def test_the_documented_cascade_days_pass_every_raw_gate(landed, name):
    window, days = CASCADES[name]
    con = landed[name]
    checked = 0
    for suite, dataset in DATASETS.items():
        frame = con.execute(f"select * from {raw_table(dataset)}").df()
        if frame.empty:  # dYdX before its launch
            continue
        report = gates.validate(frame, suite, window=window.half_open)
        assert report.success, report.messages()
        config = gates.plausibility(suite)
        daily = gates.daily_frame(frame, config)
        on_days = daily[daily["day"].isin(pd.to_datetime(days))]
        checked += int(on_days.filter(like="__vs_trailing_median__").notna().to_numpy().sum()
                       + on_days.filter(like="__minus_trailing_median__").notna().to_numpy().sum())
    assert checked > 20  # the days were compared with their history, not skipped


def test_the_cascades_moved_their_series_as_documented(landed):
    """Not a vacuous pass: OI fell by a fifth or more in a day and liquidations spiked on the cascade days."""
    con = landed["2021-04-18 and 2021-05-19"]
    daily = gates.daily_frame(con.execute("select * from raw.coinglass__oi_aggregated").df(),
                              gates.plausibility("raw_coinglass__oi_aggregated")).set_index("day")
    assert daily.loc["2021-05-19", "__vs_previous_day__close_usd"] < 0.75
    liq = gates.daily_frame(con.execute("select * from raw.coinglass__liquidations").df(),
                            gates.plausibility("raw_coinglass__liquidations")).set_index("day")
    assert liq.loc["2021-04-18", "__vs_trailing_median__long_usd"] > 10


# ------------------------------------------------------------------------------------------ real history


def _daily_ohlc(frame: pd.DataFrame, time: str, value: str) -> pd.DataFrame:
    t = pd.to_datetime(frame[time], utc=True).dt.tz_localize(None)
    g = frame.assign(day=t.dt.normalize()).dropna(subset=[value]).groupby("day")[value]
    return pd.DataFrame({"open": g.first(), "high": g.max(), "low": g.min(), "close": g.last()}).reset_index()


def _real_tables(realdata: Path) -> dict[str, pd.DataFrame]:
    """Real recorded series, each in the shape of the raw table that carries it."""
    out = {}
    for venue, suite, shift in (("binance", "raw_binance__funding", 3), ("bybit", "raw_bybit__funding", 3)):
        real = pd.read_csv(next((realdata / "funding").glob(f"BTC-USDT_{venue}_*")))
        ft = (pd.to_datetime(real["Date"]) - pd.Timedelta(hours=shift)).dt.floor("s")
        frame = pd.DataFrame({"partition_date": ft.dt.normalize(), "symbol": "BTCUSDT", "funding_time": ft,
                              "funding_rate": real["Funding Rate"].astype(float), "payload_sha256": SHA})
        out[suite] = frame.assign(mark_price=None) if venue == "binance" else frame
    real = pd.read_csv(next((realdata / "funding").glob("BTC-USDT_dydx_*")))
    ts = pd.to_datetime(real["Date"]).dt.floor("h")
    out["raw_dydx__funding"] = pd.DataFrame({
        "partition_date": ts.dt.normalize(), "ticker": "BTC-USD", "effective_at": ts,
        "rate": real["Funding Rate"].astype(float), "price": None, "effective_at_height": 0, "payload_sha256": SHA})
    okx = pd.read_csv(realdata / "coinglass" / "btc_funding_okx_8h_pct.csv")
    ft = pd.to_datetime(okx["time_utc"], utc=True).dt.tz_localize(None)
    out["raw_okx__funding"] = pd.DataFrame({
        "partition_date": ft.dt.normalize(), "inst_id": "BTC-USDT-SWAP", "funding_time": ft,
        "funding_rate": okx["fr_close_pct"] / 100, "realized_rate": okx["fr_close_pct"] / 100, "payload_sha256": SHA})

    cg = pd.read_csv(realdata / "coinglass" / "btc_daily_oi_liq_funding.csv")
    day = pd.to_datetime(cg["date_utc"])
    base = {"partition_date": day, "symbol": "BTC", "time": day, "interval": "1d", "payload_sha256": SHA}
    oi = cg["oi_all_exchanges_close_usd"]
    out["raw_coinglass__oi_aggregated"] = pd.DataFrame(
        {**base, "open_usd": oi, "high_usd": oi, "low_usd": oi, "close_usd": oi}).dropna(subset=["close_usd"])
    fr = cg["funding_oi_weighted_close_pct"]
    out["raw_coinglass__funding_oi_weighted"] = pd.DataFrame(
        {**base, "open_pct": fr, "high_pct": fr, "low_pct": fr, "close_pct": fr}).dropna(subset=["close_pct"])
    out["raw_coinglass__liquidations"] = pd.DataFrame(
        {**base, "exchange_list": "Binance,OKX,Bybit,Deribit,dYdX", "long_usd": cg["liq_long_usd_binance_okx_bybit"],
         "short_usd": cg["liq_short_usd_binance_okx_bybit"]}).dropna(subset=["long_usd", "short_usd"])

    by_exchange = pd.read_csv(realdata / "coinglass" / "btc_oi_by_exchange_4h_usd.csv")
    symbols = {"binance": "BTCUSDT_PERP.A", "bybit": "BTCUSDT.6", "okx": "BTCUSDT_PERP.3", "deribit": "BTCUSD_PERP.2",
               "dydx": "BTC-USD_PERP.8"}
    venues = []
    for venue, symbol in symbols.items():
        ohlc = _daily_ohlc(by_exchange, "time_utc", venue.upper())
        venues.append(pd.DataFrame({"partition_date": ohlc["day"], "symbol": symbol, "venue": venue, "t": ohlc["day"],
                                    "interval": "daily", "open_usd": ohlc["open"], "high_usd": ohlc["high"],
                                    "low_usd": ohlc["low"], "close_usd": ohlc["close"], "payload_sha256": SHA}))
    out["raw_coinalyze__open_interest"] = pd.concat(venues, ignore_index=True)

    price = pd.read_csv(realdata / "price" / "btc_price_history_coinbase_daily.csv")
    ot = pd.to_datetime(price["date_utc"])
    close = price["close_usd"].astype(float)
    out["raw_binance__spot_klines"] = pd.DataFrame({
        "partition_date": ot, "symbol": "BTCUSDT", "interval": "1h", "open_time": ot,
        "close_time": ot + pd.Timedelta(milliseconds=3_599_999), "open": close, "high": close, "low": close,
        "close": close, "volume": 500.0, "quote_volume": 500.0 * close, "trades": np.int64(1),
        "taker_buy_base": 250.0, "taker_buy_quote": 250.0 * close, "payload_sha256": SHA})
    return out


@pytest.mark.realdata
def test_real_recorded_history_passes_every_gate_it_maps_to(realdata):
    tables = _real_tables(realdata)
    assert len(tables) == 9
    for suite, frame in tables.items():
        report = gates.validate(frame, suite)
        assert report.success, (suite, report.messages())
        daily = gates.daily_frame(frame, gates.plausibility(suite))
        assert daily.filter(regex="^__(vs|minus)_trailing_median__").notna().to_numpy().sum() > 100, suite


@pytest.mark.realdata
def test_a_real_mart_history_passes_the_mart_suite(realdata):
    """The mart's series from real recordings (Coinbase close, CoinGlass OI, OI-weighted funding and
    liquidations), 2024-08-17..2025-09-08, the 2024-08-05 aftermath and 2025's swings included."""
    price = pd.read_csv(realdata / "price" / "btc_price_history_coinbase_daily.csv")
    cg = pd.read_csv(realdata / "coinglass" / "btc_daily_oi_liq_funding.csv")
    real = (price.assign(date=pd.to_datetime(price["date_utc"]))[["date", "close_usd"]]
            .merge(cg.assign(date=pd.to_datetime(cg["date_utc"])), on="date").dropna())
    template = mart(days=1)
    frame = pd.DataFrame({column: template[column].iloc[0] for column in template.columns}, index=real.index)
    frame = frame.assign(date=real["date"], price_close_usd=real["close_usd"],
                         oi_usd_total=real["oi_all_exchanges_close_usd"],
                         oi_usd_crypto_native=real["oi_all_exchanges_close_usd"] * 0.8,
                         funding_8h_oi_weighted=real["funding_oi_weighted_close_pct"] / 100,
                         liq_long_usd=real["liq_long_usd_binance_okx_bybit"],
                         liq_short_usd=real["liq_short_usd_binance_okx_bybit"])
    assert len(frame) > 300
    report = gates.validate(frame, "leverage_condition")
    assert report.success, report.messages()


# ------------------------------------------------------------------------------------------ the marts run


BYBIT_OI = dg.AssetKey(["raw", "bybit__open_interest"])
DAILY = dg.DailyPartitionsDefinition(start_date="2024-01-01")


@pytest.fixture
def warehouse(tmp_path) -> WarehouseResource:
    wh = WarehouseResource(warehouse_dir=str(tmp_path / "wh"))
    frame = bybit_oi()
    frame["partition_date"] = frame["partition_date"].dt.date
    statuses = pd.DataFrame({"provider": "bybit", "dataset": "open_interest",
                             "partition_date": sorted(frame["partition_date"].unique()), "status": "landed",
                             "error": None, "landed_at": pd.Timestamp("2024-02-22")})
    with wh.connect() as con:
        con.execute("create schema raw")
        con.register("frame", frame)
        con.execute("create table raw.bybit__open_interest as select * from frame")
        con.register("statuses", statuses)
        con.execute("create table raw._landing_status (provider varchar, dataset varchar, partition_date date, "
                    "status varchar, error varchar, landed_at timestamp)")
        con.execute("insert into raw._landing_status select * from statuses")
    return wh


def _marts_run(wh: WarehouseResource, window: Window) -> tuple[dg.ExecuteInProcessResult, list[str]]:
    """A marts-like job: an unpartitioned asset reading the raw table, and the raw table's re-check."""
    ran: list[str] = []

    @dg.asset(key=BYBIT_OI, partitions_def=DAILY)
    def landed() -> None:
        return None

    @dg.asset(deps=[BYBIT_OI])
    def mart_model() -> None:
        ran.append("mart_model")

    recheck = gate_check(BYBIT_OI, "raw.bybit__open_interest", "raw_bybit__open_interest", "partition_date",
                         landing=("bybit", "open_interest"), recheck=True)
    job = dg.define_asset_job("marts", selection=dg.AssetSelection.assets(mart_model)
                              | dg.AssetSelection.checks(*recheck.check_keys))
    defs = dg.Definitions(assets=[landed, mart_model], asset_checks=[recheck], jobs=[job],
                          resources={"warehouse": wh})
    result = defs.resolve_job_def("marts").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), tags=window_tags(window), raise_on_error=False)
    return result, ran


def test_the_marts_run_rechecks_the_raw_table_for_its_window_and_stops_on_bad_data(warehouse):
    result, ran = _marts_run(warehouse, Window(date(2024, 2, 15), date(2024, 2, 21)))
    (ev,) = result.get_asset_check_evaluations()
    assert ev.passed and ran == ["mart_model"] and ev.check_name == "recheck_raw_bybit__open_interest"
    assert ev.metadata["window"].value == "partition_date in [2024-02-15, 2024-02-22)"
    assert ev.metadata["row_count"].value == 7 * 24  # the window's rows; the 30 days before fed the medians
    with warehouse.connect() as con:
        con.execute("update raw.bybit__open_interest set oi_btc = oi_btc * 10 where partition_date >= '2024-02-20'")
    result, ran = _marts_run(warehouse, Window(date(2024, 2, 15), date(2024, 2, 21)))
    (ev,) = result.get_asset_check_evaluations()
    assert not result.success and not ev.passed and ran == []  # blocking: the model never ran
    assert ev.severity == dg.AssetCheckSeverity.ERROR
    assert ev.description.startswith("raw.bybit__open_interest (partition_date in [2024-02-15, 2024-02-22)): ")
    assert re.search(f"oi_btc on {DAYS_TEXT} is 9\\.\\d+x\\.\\.10\\.\\d+x its trailing 30-day median "
                     r"\(allowed 0\.4\.\.2\.5\)", ev.description), ev.description
    assert ev.metadata["blocked_days"].value == DAYS_TEXT
    assert re.search(r"^raw\.bybit__open_interest: oi_btc on 2024-02-20 is 10\.\d+x the day before",
                     ev.metadata["rules_broken"].value, re.M)


def test_a_recheck_of_rows_that_passed_the_same_rules_is_that_pass_and_any_change_validates_again(warehouse):
    window = Window(date(2024, 2, 10), date(2024, 2, 14))
    first, _ = _marts_run(warehouse, window)
    (ev,) = first.get_asset_check_evaluations()
    assert ev.passed and ev.metadata["row_count"].value == 5 * 24  # validated: no pass recorded yet
    again, ran = _marts_run(warehouse, window)
    (ev,) = again.get_asset_check_evaluations()
    assert ev.passed and ran == ["mart_model"] and "row_count" not in ev.metadata
    assert "the same rows passed the same rules in recheck_raw_bybit__open_interest" in ev.description
    # another window is another pass
    (ev,) = _marts_run(warehouse, Window(date(2024, 2, 10), date(2024, 2, 15)))[0].get_asset_check_evaluations()
    assert ev.metadata["row_count"].value == 6 * 24
    # a changed landing status of the window, or a changed row of its lookback, is validated in full
    with warehouse.connect() as con:
        con.execute("update raw._landing_status set error = 'late' where partition_date = '2024-02-12'")
    (ev,) = _marts_run(warehouse, window)[0].get_asset_check_evaluations()
    assert ev.passed and ev.metadata["row_count"].value == 5 * 24
    with warehouse.connect() as con:
        con.execute("update raw.bybit__open_interest set oi_btc = oi_btc + 1 "
                    "where partition_date = '2024-01-20' and symbol = (select min(symbol) from raw.bybit__open_interest)")
    (ev,) = _marts_run(warehouse, window)[0].get_asset_check_evaluations()
    assert ev.passed and ev.metadata["row_count"].value == 5 * 24


def test_a_feed_that_failed_or_never_landed_warns_without_blocking_the_marts(warehouse):
    with warehouse.connect() as con:
        con.execute("delete from raw.bybit__open_interest where partition_date >= '2024-02-21'")
        con.execute("update raw._landing_status set status = 'failed', error = 'HTTP 500' "
                    "where partition_date = '2024-02-21'")
    result, ran = _marts_run(warehouse, Window(date(2024, 2, 21), date(2024, 2, 21)))
    (ev,) = result.get_asset_check_evaluations()
    assert result.success and ran == ["mart_model"]
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.WARN and "HTTP 500" in ev.description
    with warehouse.connect() as con:  # rows gone, status still "landed": nothing of it reaches the mart
        con.execute("update raw._landing_status set status = 'landed', error = null")
    result, ran = _marts_run(warehouse, Window(date(2024, 2, 21), date(2024, 2, 21)))
    (ev,) = result.get_asset_check_evaluations()
    assert result.success and ran == ["mart_model"] and ev.severity == dg.AssetCheckSeverity.WARN
    assert "no rows to re-check (1 day(s) recorded as landed)" in ev.description


def test_the_definitions_recheck_every_raw_table_in_the_marts_job_only():
    from orchestration.definitions import build_defs

    defs = build_defs()
    graph = defs.resolve_asset_graph()
    rechecks = {k for k in graph.asset_check_keys if k.name.startswith("recheck_")}
    assert {k.name for k in rechecks} == {f"recheck_{suite}" for suite in DATASETS}
    assert all(graph.get_check_spec(k).blocking for k in rechecks)
    land, marts = defs.resolve_job_def("land_feeds"), defs.resolve_job_def("build_marts")
    from dagster._core.execution.api import create_execution_plan

    steps = {s.key: s for s in create_execution_plan(marts).get_steps_to_execute_in_topo_order()}
    # the re-checks are one step (a step costs more than a validation) that dbt waits for; the published
    # tables' gates another, that publishing waits for
    assert list(steps) == ["recheck_raw_tables", "dbt_models", "gate_published_tables", "published__marts",
                           "published__report"]
    assert steps["dbt_models"].get_execution_dependency_keys() == {"recheck_raw_tables"}
    assert "gate_published_tables" in steps["published__marts"].get_execution_dependency_keys()
    plan = create_execution_plan(land, tags={"dagster/asset_partition_range_start": "2024-01-01",
                                             "dagster/asset_partition_range_end": "2024-01-02"})
    keys = [s.key for s in plan.get_steps_to_execute_in_topo_order()]
    # each raw table's gate runs inside its landing step: one step per feed
    assert sorted(keys) == sorted(f"raw__{suite[4:]}" for suite in DATASETS)
    gates = {k.name for k in land.asset_layer.asset_graph.asset_check_keys}
    assert gates == {f"gate_{suite}" for suite in DATASETS}

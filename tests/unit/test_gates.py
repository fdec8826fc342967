"""Great Expectations gates: suites, validation reports, and the blocking Dagster checks built on them.

Every test that imports Great Expectations lives in this module so the ~5 s import is paid once.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from orchestration import gates
from orchestration.assets.checks import describe_window, gate_check, window_query
from orchestration.config import EXPECTATIONS_DIR
from orchestration.days import Window
from orchestration.resources import WarehouseResource

SUITES = ["leverage_condition", "raw_binance__funding", "raw_binance__open_interest", "raw_binance__spot_klines"]
SHA = "ab" * 32


# ------------------------------------------------------------------------------------------ good frames


def funding_frame(days: int = 3, start: str = "2024-03-01") -> pd.DataFrame:
    ft = pd.date_range(start, periods=3 * days, freq="8h")
    return pd.DataFrame(
        {
            "partition_date": ft.normalize(),
            "symbol": "BTCUSDT",
            "funding_time": ft,
            "funding_rate": np.linspace(-0.0002, 0.0006, len(ft)),
            "mark_price": 60_000.0,
            "payload_sha256": SHA,
        }
    )


def oi_frame(days: int = 2, start: str = "2024-03-01") -> pd.DataFrame:
    ts = pd.date_range(start, periods=24 * days, freq="1h")
    archive = pd.DataFrame({"ts": ts, "period": "5m", "source": "archive"})
    api = pd.DataFrame({"ts": ts, "period": "1h", "source": "api"})
    df = pd.concat([archive, api], ignore_index=True)
    df["partition_date"] = df["ts"].dt.normalize()
    df["symbol"] = "BTCUSDT"
    df["sum_open_interest"] = 80_000.0
    df["sum_open_interest_value"] = 80_000.0 * 60_000.0
    df["payload_sha256"] = SHA
    return df


def klines_frame(days: int = 2, start: str = "2024-03-01") -> pd.DataFrame:
    ot = pd.date_range(start, periods=24 * days, freq="1h")
    close = 60_000.0 + np.arange(len(ot)) * 10.0
    return pd.DataFrame(
        {
            "partition_date": ot.normalize(),
            "symbol": "BTCUSDT",
            "interval": "1h",
            "open_time": ot,
            "close_time": ot + pd.Timedelta(milliseconds=3_599_999),
            "open": close - 5.0,
            "high": close + 50.0,
            "low": close - 50.0,
            "close": close,
            "volume": 500.0,
            "quote_volume": 500.0 * close,
            "trades": np.int64(10_000),
            "taker_buy_base": 250.0,
            "taker_buy_quote": 250.0 * close,
            "payload_sha256": SHA,
        }
    )


def mart_frame(days: int = 10, start: str = "2024-03-01") -> pd.DataFrame:
    d = pd.date_range(start, periods=days, freq="D")
    n = len(d)
    return pd.DataFrame(
        {
            "date": d,
            "asset": "BTC",
            "price_close_usd": 60_000.0 + np.arange(n),
            "oi_usd_crypto_native": 27e9,
            "oi_usd_cme": 3e9,
            "oi_usd_total": 30e9,
            "crypto_native_share_of_oi": 0.9,
            "oi_venues_present": "binance,bybit,cme,deribit,dydx,okx",
            "oi_venues_carried": "",
            "oi_venues_from_aggregator": "deribit",
            "oi_source": "venues",
            "oi_link_source": "venues",
            "stale_sources": "",
            "funding_venues_present": "binance,bybit,deribit,dydx,okx",
            "liq_long_usd": 2.0e8,
            "liq_short_usd": 1.0e8,
            "liq_cluster_usd_within_5pct": 1.5e9,
            "liq_cluster_share_of_oi": 0.055,
            "liq_cluster_share_p90_trailing": 0.05,
            "liq_clusters_dense": True,
            "liq_cluster_oi_grain": "1h",
            "oi_check_status": "agreed",
            "funding_check_status": "diverged",
            "liq_check_status": "single_source",
            "stablecoin_supply_usd": 1.5e11,
            "stablecoin_supply_change_7d": [None] * 7 + [0.004] * max(0, n - 7),
            "exchange_balance_btc": 3.0e6,
            "exchange_balance_change_7d": [None] * 7 + [-0.002] * max(0, n - 7),
            "exchange_balance_status": (["missing"] + ["agreed", "diverged", "single_source"] * n)[:n],
            "exchange_balance_source": "cryptoquant",
            "exchange_balance_breaks": [""] * (n - 1) + ["coinmetrics"],
            "etf_net_flow_usd": [None, None] + [1.5e8] * max(0, n - 2),  # a weekend first: no flow
            "etf_net_flow_5d_usd": 6.0e8,
            "etf_flow_status": (["no_trading", "no_trading"] + ["agreed", "diverged", "single_source"] * n)[:n],
            "funding_8h_oi_weighted": 0.0001,
            "funding_p90_trailing_365d": [None] * (n // 2) + [0.0003] * (n - n // 2),
            "conditions_met": [0, 1, 2, 3, 3, 0, 1, 2, 0, 1][:n] + [0] * max(0, n - 10),
            "conditions_evaluated": 3,
            "leverage_condition_score": np.linspace(0, 100, n),
            "regime": (["neutral", "elevated", "deleveraging_precondition", "reset"] * 3)[:n],
            "position_size_multiplier": [1.0, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0][:n] + [1.0] * max(0, n - 10),
            "data_completeness": 0.9,
            "as_of": pd.Timestamp("2024-03-11 00:05:00", tz="UTC"),
        }
    )


GOOD = {
    "raw_binance__funding": funding_frame,
    "raw_binance__open_interest": oi_frame,
    "raw_binance__spot_klines": klines_frame,
    "leverage_condition": mart_frame,
}


# ------------------------------------------------------------------------------------------ suites


def test_every_suite_file_loads_as_a_ge_suite():
    assert set(SUITES) <= set(gates.suite_names())  # each provider's tests cover its own suites
    for name in gates.suite_names():
        suite = gates.load_suite(name)
        assert suite.name == name
        assert len(suite.expectations) >= 1  # value rules only: structure is not restated (next test)
        # stored in GE's own format: what to_json_dict() writes (ids aside)
        stored = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text())
        dumped = suite.to_json_dict()
        assert [(e["type"], e["kwargs"]) for e in stored["expectations"]] == [
            (e["type"], e["kwargs"]) for e in dumped["expectations"]
        ]
        assert all(e["type"].startswith("expect_") and "meta" in e for e in stored["expectations"])


def test_suites_hold_no_structure_its_owner_declares():
    """Raw columns and nulls come from the datasets (``gates.structure``), dbt tables' from their contracts and
    not_null tests: a suite restating them would be a second owner."""
    for name in gates.suite_names():
        for e in gates.load_suite_dict(name)["expectations"]:
            assert e["type"] != "expect_column_to_exist", name
            if gates.structure_of(name) is not None:
                assert not (e["type"] == "expect_column_values_to_not_be_null" and set(e["kwargs"]) == {"column"}), \
                    (name, e["kwargs"])


def test_suite_names_are_checked():
    with pytest.raises(ValueError):
        gates.suite_path("../etc/passwd")
    with pytest.raises(FileNotFoundError):
        gates.load_suite_dict("no_such_suite")


@pytest.mark.parametrize("suite", SUITES)
def test_a_good_frame_passes(suite):
    report = gates.validate(GOOD[suite](), suite)
    assert report.success, report.to_metadata()["failed_expectations"]
    assert report.failed == []
    structure = gates.structure_of(suite)
    structural = len(structure.columns) + len(structure.required) if structure else 0
    assert report.evaluated == len(gates.load_suite_dict(suite)["expectations"]) + structural
    meta = report.to_metadata()
    assert meta["success"] is True and meta["expectations_failed"] == 0


def test_the_ge_context_is_built_once_per_process():
    gates.validate(funding_frame(), "raw_binance__funding")
    first = gates.runtime.context()
    gates.validate(oi_frame(), "raw_binance__open_interest")
    assert gates.runtime.context() is first


# ------------------------------------------------------------------------------------------ corrupted


def test_corrupted_funding_fails_naming_each_expectation_and_its_rows():
    df = funding_frame(days=3)  # 9 rows
    df.loc[2, "funding_rate"] = 0.5  # absurd: 50 % per 8 h
    df.loc[3, "funding_rate"] = None  # null rate
    df.loc[5, "funding_time"] = df.loc[4, "funding_time"]  # duplicate timestamp
    df.loc[7, "funding_time"] = pd.Timestamp("2024-03-03 09:00:00")  # not a funding hour
    report = gates.validate(df, "raw_binance__funding")
    assert not report.success
    assert report.row_count == 9
    f = report.failures_by_expectation()
    assert f[("expect_column_values_to_be_between", "funding_rate")].unexpected_count == 1
    assert f[("expect_column_values_to_be_between", "funding_rate")].sample_values == [0.5]
    assert f[("expect_column_values_to_not_be_null", "funding_rate")].unexpected_count == 1
    assert f[("expect_column_values_to_be_unique", "funding_time")].unexpected_count == 2
    assert f[("expect_column_values_to_match_regex", "funding_time")].unexpected_count == 1
    assert len(report.failed) == 4

    meta = report.to_metadata()
    assert meta["success"] is False and meta["expectations_failed"] == 4
    assert "expect_column_values_to_be_between(funding_rate): 1 unexpected rows" in meta["failed_expectations"]
    counts = {k: v for k, v in meta.items() if k.startswith("failed[")}
    assert sorted(counts.values()) == [1, 1, 1, 2]
    assert all(isinstance(v, (str, int, float, bool)) for v in meta.values())  # flat, plain values
    json.dumps(report.to_dict())  # and the full report is JSON-safe


def test_timezone_aware_funding_times_are_read_in_utc():
    df = funding_frame()
    df["funding_time"] = df["funding_time"].dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo")
    assert gates.validate(df, "raw_binance__funding").success


def test_corrupted_open_interest_fails():
    df = oi_frame(days=1)
    df.loc[0, "sum_open_interest"] = -5.0  # negative OI
    df.loc[1, "sum_open_interest_value"] = 5e12  # absurd notional
    dup = df.iloc[[30]].copy()  # the same (source, ts) twice
    df.loc[3, "source"] = "scraped"
    df = pd.concat([df, dup], ignore_index=True)
    report = gates.validate(df, "raw_binance__open_interest")
    f = report.failures_by_expectation()
    assert not report.success
    assert f[("expect_column_values_to_be_between", "sum_open_interest")].unexpected_count == 1
    assert f[("expect_column_values_to_be_between", "sum_open_interest")].sample_values == [-5.0]
    assert f[("expect_column_values_to_be_between", "sum_open_interest_value")].unexpected_count == 1
    assert f[("expect_compound_columns_to_be_unique", "source,ts")].unexpected_count == 2
    assert f[("expect_column_values_to_be_in_set", "source")].unexpected_count == 1


def test_corrupted_klines_fail():
    df = klines_frame(days=1)
    df.loc[4, "high"], df.loc[4, "low"] = 100.0, 200.0  # high < low
    df.loc[5, "open_time"] = df.loc[6, "open_time"]  # duplicate candle
    df.loc[7, "close"] = 0.0
    report = gates.validate(df, "raw_binance__spot_klines")
    f = report.failures_by_expectation()
    assert f[("expect_column_pair_values_a_to_be_greater_than_b", "high,low")].unexpected_count == 1
    assert f[("expect_column_values_to_be_unique", "open_time")].unexpected_count == 2
    assert f[("expect_column_values_to_be_between", "close")].unexpected_count == 1
    # the days are GE's own unexpected rows, for every kind of row rule (a pair rule's too)
    assert f[("expect_column_pair_values_a_to_be_greater_than_b", "high,low")].days == ["2024-03-01"]
    assert f[("expect_column_values_to_be_unique", "open_time")].days == ["2024-03-01"]


def test_corrupted_mart_fails_on_multiplier_and_regime():
    df = mart_frame()
    df.loc[0, "position_size_multiplier"] = 1.5
    df.loc[1, "position_size_multiplier"] = 0.0  # (0, 1]: zero is out
    df.loc[2, "regime"] = "panic"
    df.loc[3, "date"] = df.loc[4, "date"]
    report = gates.validate(df, "leverage_condition")
    f = report.failures_by_expectation()
    assert not report.success
    assert f[("expect_column_values_to_be_between", "position_size_multiplier")].unexpected_count == 2
    assert f[("expect_column_values_to_be_in_set", "regime")].sample_values == ["panic"]
    assert f[("expect_column_values_to_be_unique", "date")].unexpected_count == 2


def test_a_conditional_rules_failing_rows_are_mapped_to_their_days():
    df = mart_frame().iloc[::-1]  # any index order: GE's unexpected rows are positions of the frame it was handed
    df.loc[7, "leverage_condition_score"] = None  # conditions were evaluated that day: a score is due
    df.loc[8, "conditions_evaluated"], df.loc[8, "leverage_condition_score"] = 0, None  # nothing evaluated: none due
    f = gates.validate(df, "leverage_condition").failures_by_expectation()
    null_score = f[("expect_column_values_to_not_be_null", "leverage_condition_score")]
    assert null_score.kwargs["row_condition"] and null_score.unexpected_count == 1
    assert null_score.days == ["2024-03-08"]


def test_rows_outside_a_series_bounds_are_blanked_in_the_history_too():
    """The history before a window is not reported on, yet a row its own bounds reject (GE's verdict on the
    history) is no value for the trailing median."""
    from orchestration.gates import suites
    from orchestration.gates.validate import rejected_by_bounds

    ts = pd.date_range("2024-01-10", periods=24 * 10, freq="1h")
    df = pd.DataFrame({"partition_date": ts.normalize(), "symbol": "BTCUSDT", "ts": ts, "interval": "1h",
                       "oi_btc": 63_000.0, "payload_sha256": SHA})
    df.loc[5, "oi_btc"] = -1.0
    inside = gates.in_window(df["partition_date"], (date(2024, 1, 19), date(2024, 1, 20))).to_numpy()
    rejected = rejected_by_bounds(df, suites.suite("raw_bybit__open_interest"), [], inside)
    assert np.flatnonzero(rejected["oi_btc"]).tolist() == [5]


def test_mart_tolerates_null_trailing_p90_and_extra_columns():
    df = mart_frame()
    df["funding_p90_trailing_365d"] = None
    df["a_column_added_later"] = "x"
    assert gates.validate(df, "leverage_condition").success


def test_a_missing_column_fails_with_an_explanation():
    report = gates.validate(funding_frame().drop(columns=["funding_rate"]), "raw_binance__funding")
    f = report.failures_by_expectation()
    assert not report.success
    assert ("expect_column_to_exist", "funding_rate") in f
    assert "does not exist" in (f[("expect_column_values_to_be_between", "funding_rate")].error or "")  # said by GE too
    assert report.to_metadata()["failed[0] " + report.failed[0].type + "(funding_rate)"]


def test_an_empty_report_fails_without_ge():
    report = gates.empty_report("raw_binance__funding", "nothing landed")
    meta = report.to_metadata()
    assert meta["success"] is False and meta["row_count"] == 0 and meta["note"] == "nothing landed"


# ------------------------------------------------------------------------------------------ Dagster checks


def test_window_query_is_restricted_to_the_partition_window():
    day = Window(date(2024, 3, 1), date(2024, 3, 1))
    sql, params = window_query("raw.binance__funding", "partition_date", day)
    assert sql == (
        'select * from "raw"."binance__funding" where "partition_date" >= ?::date and "partition_date" < ?::date'
    )
    assert params == ["2024-03-01", "2024-03-02"]  # the inclusive day, read as [day, day after)
    assert describe_window("partition_date", day) == "partition_date in [2024-03-01, 2024-03-02)"
    assert window_query("leverage_condition", "date", None) == ('select * from "leverage_condition"', [])
    assert window_query("leverage_condition", None, day)[1] == []
    assert describe_window("date", None) == "whole table"


DAILY = dg.DailyPartitionsDefinition(start_date="2024-03-01", end_date="2024-03-10")
FUNDING_KEY = dg.AssetKey(["raw", "binance__funding"])


@pytest.fixture()
def warehouse(tmp_path: Path) -> WarehouseResource:
    wh = WarehouseResource(warehouse_dir=str(tmp_path / "wh"))
    good = funding_frame(days=3, start="2024-03-01")  # 2024-03-01..03
    bad = funding_frame(days=1, start="2024-03-04")
    bad.loc[1, "funding_rate"] = 0.5
    frame = pd.concat([good, bad], ignore_index=True)
    with wh.connect() as con:
        con.register("frame", frame)
        con.execute("create schema raw")
        con.execute(
            """create table raw.binance__funding as select
                 partition_date::date as partition_date, symbol::varchar as symbol,
                 funding_time::timestamp as funding_time, funding_rate::double as funding_rate,
                 mark_price::double as mark_price, payload_sha256::varchar as payload_sha256
               from frame"""
        )
    return wh


def _defs(ran: list[str]):
    @dg.asset(key=FUNDING_KEY, partitions_def=DAILY)
    def landed() -> None:
        return None

    @dg.asset(deps=[FUNDING_KEY], partitions_def=DAILY)
    def downstream() -> None:
        ran.append("downstream")

    check = gate_check(FUNDING_KEY, "raw.binance__funding", "raw_binance__funding", "partition_date")
    return [landed, downstream, check]


def _evaluation(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_gate_check_passes_a_good_partition_and_lets_downstream_run(warehouse):
    ran: list[str] = []
    result = dg.materialize(_defs(ran), partition_key="2024-03-02", resources={"warehouse": warehouse})
    ev = _evaluation(result)
    assert result.success and ev.passed
    assert ev.check_name == "gate_raw_binance__funding"
    assert ev.severity == dg.AssetCheckSeverity.ERROR
    assert ev.metadata["row_count"].value == 3  # only the run's partition was read
    assert ev.metadata["window"].value == "partition_date in [2024-03-02, 2024-03-03)"
    assert ran == ["downstream"]


def test_a_failing_gate_blocks_downstream_and_says_what_failed(warehouse):
    ran: list[str] = []
    result = dg.materialize(
        _defs(ran), partition_key="2024-03-04", resources={"warehouse": warehouse}, raise_on_error=False
    )
    ev = _evaluation(result)
    assert not ev.passed
    assert ev.metadata["expectations_failed"].value == 1
    assert ev.metadata["failed[0] expect_column_values_to_be_between(funding_rate)"].value == 1
    assert "funding_rate" in ev.description
    assert ran == []  # blocking: downstream never ran


def test_an_empty_window_fails_the_gate(warehouse):
    ran: list[str] = []
    result = dg.materialize(
        _defs(ran), partition_key="2024-03-08", resources={"warehouse": warehouse}, raise_on_error=False
    )
    ev = _evaluation(result)
    assert not ev.passed
    assert ev.metadata["row_count"].value == 0
    assert "nothing landed" in ev.metadata["note"].value
    assert ran == []


def test_a_missing_table_fails_the_gate_instead_of_crashing(tmp_path):
    wh = WarehouseResource(warehouse_dir=str(tmp_path / "empty"))
    with wh.connect():
        pass
    ran: list[str] = []
    result = dg.materialize(
        _defs(ran), partition_key="2024-03-02", resources={"warehouse": wh}, raise_on_error=False
    )
    ev = _evaluation(result)
    assert not ev.passed and "cannot read raw.binance__funding" in ev.metadata["note"].value


def test_an_unpartitioned_run_validates_the_whole_table(warehouse):
    @dg.asset(key=FUNDING_KEY)
    def landed() -> None:
        return None

    check = gate_check(FUNDING_KEY, "raw.binance__funding", "raw_binance__funding", "partition_date")
    result = dg.materialize([landed, check], resources={"warehouse": warehouse}, raise_on_error=False)
    ev = _evaluation(result)
    assert ev.metadata["row_count"].value == 12 and ev.metadata["window"].value == "whole table"
    assert not ev.passed  # the whole table includes the bad 2024-03-04


def test_mart_gate_on_an_unpartitioned_table(tmp_path):
    wh = WarehouseResource(warehouse_dir=str(tmp_path / "wh"))
    with wh.connect() as con:
        con.register("frame", mart_frame())
        con.execute("create table leverage_condition as select * replace (date::date as date) from frame")

    @dg.asset(key="leverage_condition")
    def mart() -> None:
        return None

    check = gate_check(dg.AssetKey("leverage_condition"), "leverage_condition", "leverage_condition", "date")
    result = dg.materialize([mart, check], resources={"warehouse": wh})
    assert _evaluation(result).passed


# ------------------------------------------------------------------------------------------ real data

REAL_FUNDING = (
    Path(__file__).resolve().parents[2].parent
    / "shared/realdata/funding/BTC-USDT_binance_2020-01-01_2024-01-01_funding_history.csv"
)


@pytest.mark.realdata
@pytest.mark.skipif(not REAL_FUNDING.exists(), reason=f"real data not present at {REAL_FUNDING}")
def test_real_binance_funding_history_passes_the_funding_gate():
    real = pd.read_csv(REAL_FUNDING)
    # naive UTC+3 in that file; Binance stamps funding a few ms after the hour: the landing floors to the second
    ft = (pd.to_datetime(real["Date"]) - pd.Timedelta(hours=3)).dt.floor("s")
    df = pd.DataFrame(
        {
            "partition_date": ft.dt.normalize(),
            "symbol": "BTCUSDT",
            "funding_time": ft,
            "funding_rate": real["Funding Rate"].astype(float),
            "mark_price": None,
            "payload_sha256": SHA,
        }
    )
    report = gates.validate(df, "raw_binance__funding")
    assert report.success, report.to_metadata()["failed_expectations"]
    assert report.row_count == 4383


# ----------------------------------------------------------------------------- the event study's tables


def events_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "event_id": ["2021-04-18", "2021-05-19"], "first_day": [date(2021, 4, 18), date(2021, 5, 19)],
        "last_day": [date(2021, 4, 18), date(2021, 5, 19)], "span_days": [1, 1], "flagged_days": [1, 1],
        "first_day_oi_change_1d": [-0.14, -0.28], "worst_oi_change_1d": [-0.14, -0.28],
        "liq_long_usd": [2.75e9, 1.39e9], "liq_short_usd": [2.1e8, 2.0e8],
        "first_day_liq_long_multiple": [20.4, 11.0], "return_over_event": [-0.064, -0.144]})


def backtest_daily_frame(days: int = 5) -> pd.DataFrame:
    return pd.DataFrame({
        "date": pd.date_range("2024-03-01", periods=days, freq="D").date,
        "rule_exposure": [2.0, 2.0, 1.0, 2.0, 2.0][:days], "constant_exposure": 2.0,
        "rule_return": [0.0, 0.04, -0.01, 0.02, 0.0][:days], "funding_rate_1d": 0.0003,
        "rule_equity": [1.0, 1.04, 1.03, 1.05, 1.05][:days], "constant_equity": 1.0,
        "rule_drawdown": [0.0, 0.0, -0.01, 0.0, 0.0][:days], "constant_drawdown": 0.0})


def test_the_event_tables_gates_pass_real_figures_and_block_a_unit_error():
    assert gates.validate(events_frame(), "deleveraging_events").success
    bad = events_frame()
    bad.loc[0, "liq_long_usd"] *= 1000  # a unit error: 2.75e12 of BTC longs in a day
    bad.loc[1, "first_day_oi_change_1d"] = 0.28  # a flagged day's OI cannot have risen
    report = gates.validate(bad, "deleveraging_events")
    assert not report.success
    assert {f.column for f in report.failed} == {"liq_long_usd", "first_day_oi_change_1d"}


def test_the_backtest_gate_blocks_a_negative_exposure_and_a_positive_drawdown():
    assert gates.validate(backtest_daily_frame(), "sizing_backtest_daily").success
    bad = backtest_daily_frame()
    bad.loc[2, "rule_exposure"] = -1.0
    bad.loc[3, "rule_drawdown"] = 0.05
    report = gates.validate(bad, "sizing_backtest_daily")
    assert {f.column for f in report.failed} == {"rule_exposure", "rule_drawdown"}


def test_the_lift_table_always_has_five_conditions_by_three_event_sets():
    conditions = ["oi_at_local_high", "funding_sustained_above_p90", "liq_clusters_dense", "all_three",
                  "regime_elevated_or_above"]
    frame = pd.DataFrame([{"condition": c, "event_set": s, "share_preceded": 0.5, "base_rate": 0.1,
                           "hit_rate": 0.05, "unconditional_rate": 0.04, "lift": 1.25, "days_held": 100,
                           "events_preceded": 3} for c in conditions for s in ("documented", "detected", "any")])
    assert gates.validate(frame, "cascade_condition_lift").success
    report = gates.validate(frame.iloc[:-1], "cascade_condition_lift")
    assert [f.type for f in report.failed] == ["expect_table_row_count_to_be_between"]

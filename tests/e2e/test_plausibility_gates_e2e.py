"""End to end: a marts run re-checks the raw tables of its window, so corrupted raw data is never published.

The probe of issue 8 changed raw tables behind the landing's back (Bybit's ``oi_btc`` x1000, every Binance
funding rate 0.02) and ran only the marts job: it published an average total OI of $6,712 bn and a funding of
0.90 %/8h. Here each scenario corrupts a copy of the pipeline window (tests/e2e/conftest.py: landing + marts,
as the schedule and the sensor would) and runs ONLY ``build_marts`` over its last 30 days: the run fails at
the raw table's re-check, dbt never runs, the published snapshot stays byte-identical, and the failed check
names the table, the days and the rule.
"""
from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.feeds.base import Window
from runs import configure, copy_warehouse  # tests/e2e is on the path

pytestmark = pytest.mark.e2e

WINDOW = Window(date(2024, 2, 1), date(2024, 3, 1))  # 30 days
WINDOW_TEXT = "2024-02-01..2024-03-01"


def snapshot(warehouse: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (warehouse / "published").iterdir()}


def test_a_clean_window_passes_every_raw_re_check(pipeline_window):
    """The run that built the warehouse (landing + marts) re-checked every raw table, clean."""
    from orchestration.definitions import datasets

    rechecks = {name: passed for name, passed in pipeline_window.checks.items() if name.startswith("recheck_")}
    assert len(rechecks) == len(datasets()) and all(rechecks.values()), rechecks


@pytest.fixture
def copy(pipeline_window, monkeypatch, tmp_path) -> Path:
    target = copy_warehouse(pipeline_window, tmp_path / "warehouse")
    configure(monkeypatch, target)
    return target


def corrupt(warehouse: Path, sql: str) -> None:
    con = duckdb.connect(str(warehouse / "leverage.duckdb"))
    try:
        con.execute(sql)
    finally:
        con.close()


def marts_only(window: Window = WINDOW) -> dg.ExecuteInProcessResult:
    """Only the marts job, as the sensor (or someone in the UI) would launch it."""
    from orchestration.definitions import MARTS_JOB, build_defs
    from orchestration.partitions import window_tags

    return build_defs().resolve_job_def(MARTS_JOB).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), tags=window_tags(window), raise_on_error=False)


def assert_blocked_before_dbt(result: dg.ExecuteInProcessResult, check: str) -> dg.AssetCheckEvaluation:
    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.asset_check_key.name for e in failed] == [check]
    (evaluation,) = failed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert not materialized  # dbt never ran: no model, no mart, no publish
    return evaluation


def test_bybit_open_interest_times_1000_is_blocked_and_not_published(copy):
    published = snapshot(copy)
    corrupt(copy, "UPDATE raw.bybit__open_interest SET oi_btc = oi_btc * 1000")
    evaluation = assert_blocked_before_dbt(marts_only(), "recheck_raw_bybit__open_interest")
    assert snapshot(copy) == published
    assert re.match(r"raw\.bybit__open_interest \(partition_date in \[2024-02-01, 2024-03-02\)\): 1 of \d+ "
                    rf"expectations failed: oi_btc on {WINDOW_TEXT}: 720 rows outside its absolute bounds "
                    r"100\.\.1e6, e\.g\. \d(\.\d+)?e7", evaluation.description), evaluation.description
    assert evaluation.metadata["blocked_days"].value == WINDOW_TEXT
    assert evaluation.metadata["rules_broken"].value.startswith(
        f"raw.bybit__open_interest: oi_btc on {WINDOW_TEXT}: 720 rows outside its absolute bounds 100..1e6")


def test_binance_funding_set_to_2_percent_is_blocked_and_not_published(copy):
    published = snapshot(copy)
    corrupt(copy, "UPDATE raw.binance__funding SET funding_rate = 0.02")
    evaluation = assert_blocked_before_dbt(marts_only(), "recheck_raw_binance__funding")
    assert snapshot(copy) == published
    assert (f"funding_rate on {WINDOW_TEXT}: 90 rows outside its absolute bounds -0.005..0.005, e.g. 0.02"
            in evaluation.description), evaluation.description
    assert evaluation.description.startswith("raw.binance__funding (partition_date in [2024-02-01, 2024-03-02))")
    assert evaluation.metadata["blocked_days"].value == WINDOW_TEXT


def test_open_interest_off_its_history_inside_the_absolute_bounds_is_blocked(copy):
    """x10 from 2024-02-20 on stays under 1e6 BTC: the rows pass, the series' history does not."""
    published = snapshot(copy)
    corrupt(copy, "UPDATE raw.bybit__open_interest SET oi_btc = oi_btc * 10 WHERE partition_date >= '2024-02-20'")
    evaluation = assert_blocked_before_dbt(marts_only(), "recheck_raw_bybit__open_interest")
    assert snapshot(copy) == published
    assert re.search(r"oi_btc on 2024-02-20\.\.2024-03-01 is \d+\.\d+x\.\.\d+\.\d+x its trailing 30-day median "
                     r"\(allowed 0\.4\.\.2\.5\)", evaluation.description), evaluation.description
    assert re.search(r"oi_btc on 2024-02-20 is \d+\.\d+x the day before \(allowed 0\.5\.\.2\)",
                     evaluation.description), evaluation.description
    assert evaluation.metadata["blocked_days"].value == "2024-02-20..2024-03-01"


def test_a_corruption_outside_the_runs_window_does_not_block_it(copy):
    """The re-check covers the marts run's window (and reads the 30 days before it as history only)."""
    corrupt(copy, "UPDATE raw.binance__funding SET funding_rate = 0.02 WHERE partition_date < '2024-02-10'")
    result = marts_only(Window(date(2024, 2, 26), date(2024, 3, 1)))
    assert result.success
    checks = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    assert checks["recheck_raw_binance__funding"].passed
    assert checks["recheck_raw_binance__funding"].metadata["window"].value == \
        "partition_date in [2024-02-26, 2024-03-02)"

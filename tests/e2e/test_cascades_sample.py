"""End to end on the sample world: a window around the 2024-08-05 flush builds, gates and publishes the cascade
event study and the sizing backtest beside the mart."""
from __future__ import annotations

import pytest

from orchestration.assets.publishing import PUBLISHED_MARTS
from orchestration.cli import evidence_table
from runs import SAMPLE_WINDOW as WINDOW  # tests/e2e is on the path
from runs import query

pytestmark = pytest.mark.e2e


def test_the_event_tables_are_gated_and_published_beside_the_mart(sample_window):
    warehouse, checks = sample_window.warehouse, sample_window.checks
    for table in PUBLISHED_MARTS:
        assert checks.get(f"gate_{table}") is True, table
        assert (warehouse / "published" / f"{table}.parquet").exists(), table
    published = warehouse / "published" / "marts.duckdb"
    tables = {r[0] for r in query(published, "select table_name from information_schema.tables")}
    assert set(PUBLISHED_MARTS) <= tables
    assert query(published, "select count(*) from cascade_condition_lift") == [(15,)]
    assert query(published, "select days from sizing_backtest where period_kind = 'all'") == [(len(WINDOW.days()),)]


def test_the_documented_flush_has_its_row_and_the_data_flags_it(sample_window):
    warehouse = sample_window.warehouse
    study = query(warehouse / "published" / "marts.duckdb",
                  "select event_id, detected_by_data, pre_days_observed, preceded_by_funding_sustained, "
                  "oi_change_1d < -0.1, liq_long_usd > 1e8, return_next_7d is not null "
                  "from cascade_event_study where event_kind = 'documented'")
    # the only documented cascade in the window; like the recorded one, no funding streak in the week before it
    assert study == [("2024-08-05", True, 7, False, True, True, True)]


def test_a_verdict_changes_exposure_from_the_next_day_only(sample_window):
    warehouse = sample_window.warehouse
    pairs = query(warehouse / "published" / "marts.duckdb",
                  "select d.rule_exposure, y.position_size_multiplier * d.constant_exposure "
                  "from sizing_backtest_daily d join sizing_backtest_daily y on y.date = d.date - interval 1 day")
    assert len(pairs) == len(WINDOW.days()) - 1
    assert all(abs(exposure - expected) < 1e-12 for exposure, expected in pairs)


def test_the_terminal_summary_reads_the_published_tables(sample_window):
    warehouse = sample_window.warehouse
    text = evidence_table(warehouse / "published")
    assert text.startswith("Is the rule worth following? 1 documented cascades")
    assert "all three (multiplier 0.5)" in text and "backtest, 2x long" in text

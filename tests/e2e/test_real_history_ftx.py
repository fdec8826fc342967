"""End to end on real recorded history around FTX (2022-11-01..15): CoinGlass's daily export repeats 2022-11-07 on
2022-11-08 (13,281,722,058 USD). The stale day is named, carried and not read as "no change"; the next day
reads the real -19.3 % since the last observed day; the gates pass and the mart is published (skipped where
../shared/realdata is absent)."""
from __future__ import annotations

from datetime import date

import pytest

from orchestration.feeds.base import Window
from runs import query, run_window  # tests/e2e is on the path
from tests.conftest import REALDATA

pytestmark = [pytest.mark.e2e, pytest.mark.realdata, pytest.mark.skipif(
    not REALDATA.is_dir(), reason=f"real recorded data not found at {REALDATA} (it lives beside the project)")]

WINDOW = Window(date(2022, 11, 1), date(2022, 11, 15))
STALE = date(2022, 11, 8)


@pytest.fixture(scope="module")
def mart(tmp_path_factory):
    """The window run in recorded mode (landing with its trailing year, dbt, gates, publish)."""
    warehouse = tmp_path_factory.mktemp("ftx") / "warehouse"
    result = run_window(warehouse, WINDOW, mode="recorded", recorded_dir=REALDATA)
    assert result.success
    assert [e for e in result.get_asset_check_evaluations() if not e.passed] == []
    columns = ("date, oi_usd_total, oi_source, oi_link_source, stale_sources, oi_change_1d, liq_cluster_oi_grain, "
               "liq_clusters_dense, conditions_evaluated, data_completeness, sources_present")
    rows = query(warehouse / "published" / "marts.duckdb", f"select {columns} from leverage_condition order by date")
    return {row[0]: dict(zip([c.strip() for c in columns.split(",")], row)) for row in rows}


def test_the_stale_day_is_named_carried_and_has_no_change(mart):
    assert list(mart) == WINDOW.days()
    assert [day for day, row in mart.items() if row["stale_sources"]] == [STALE]
    stale = mart[STALE]
    assert stale["stale_sources"] == "coinglass_oi"
    assert (stale["oi_source"], stale["oi_link_source"]) == ("coinglass_all_exchanges_carried", "none")
    assert stale["oi_usd_total"] == 13_281_722_058.0 and stale["oi_change_1d"] is None  # not "no change"
    # not observed: no cluster estimate that day, and completeness counts the aggregate absent
    assert stale["liq_cluster_oi_grain"] is None and stale["liq_clusters_dense"] is None
    assert stale["data_completeness"] < min(row["data_completeness"] for day, row in mart.items() if day != STALE)


def test_the_other_days_read_the_aggregate_and_the_crash_since_the_last_observed_day(mart):
    others = [row for day, row in mart.items() if day != STALE]
    assert {(r["oi_source"], r["oi_link_source"], r["liq_cluster_oi_grain"]) for r in others} == {
        ("coinglass_all_exchanges", "coinglass_all_exchanges", "1d")}
    # dense clusters are judged against the estimate's own previous days (at least 30 of them): a 15-day window
    # from an empty warehouse has too few, so that condition is not evaluated; the other two are, every day
    assert all(r["conditions_evaluated"] == 2 and r["liq_clusters_dense"] is None for r in others)
    assert all("coinglass" in r["sources_present"] for r in others)
    # 2022-11-09 against 2022-11-07, the last observed day: the real -19.3 %
    assert mart[date(2022, 11, 9)]["oi_change_1d"] == pytest.approx(10_724_242_208 / 13_281_722_058 - 1, abs=1e-9)

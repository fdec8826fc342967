"""The landing asset materialized directly on the sample world: one day, then a range in one run."""
from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from datetime import date

from orchestration.assets.landing import landing_asset
from orchestration.feeds import binance
from orchestration.feeds.base import Window
from orchestration.partitions import range_tags, window_tags
from orchestration.resources import FeedTransportResource, WarehouseResource

NOW = "2024-03-02T00:30:00+00:00"


@pytest.fixture
def resources(tmp_path):
    return {"warehouse": WarehouseResource(warehouse_dir=str(tmp_path / "warehouse")),
            "feeds": FeedTransportResource(mode="sample", sample_now=NOW)}


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    return {e.materialization.partition: {k: v.value for k, v in e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()}


def test_the_year_in_progress_lands_its_complete_days_and_reports_them(resources, tmp_path):
    asset = landing_asset(binance.DATASETS["funding"])
    result = dg.materialize([asset], partition_key="2024", resources=resources)
    meta = _metadata(result)
    assert list(meta) == ["2024"]  # sample clock 2024-03-02 00:30: January 1 to March 1 are complete
    assert meta["2024"]["window_rows"] == 61 * 3 and meta["2024"]["feed_status"] == "ok"
    assert meta["2024"]["window"] == "2024-01-01..2024-03-01" and meta["2024"]["days_landed"] == 61
    con = duckdb.connect(str(tmp_path / "warehouse" / "leverage.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM raw.binance__funding WHERE partition_date >= DATE '2024-01-01'"
                       ).fetchone()[0] == 61 * 3  # and the trailing year before it (test_trailing_history)


def test_a_range_is_one_run_narrowed_to_its_window_tags(resources):
    """The schedule's shape: the years of its window (two across New Year), in one run, landing only the
    window's days."""
    asset = landing_asset(binance.DATASETS["funding"])
    tags = {**range_tags(Window(date(2023, 12, 25), date(2024, 1, 10)))}
    result = dg.materialize([asset], tags=tags, resources=resources)
    meta = _metadata(result)
    assert sorted(meta) == ["2023", "2024"]  # one materialization per year partition
    for year in meta.values():
        assert "dagster/row_count" not in year and year["window_rows"] == 17 * 3
        assert year["window"] == "2023-12-25..2024-01-10" and year["days_landed"] == 17


def test_a_day_re_run_from_the_ui_lands_that_day_only(resources):
    asset = landing_asset(binance.DATASETS["open_interest"])  # the API serves 30 days, the archive the rest
    result = dg.materialize([asset], partition_key="2024", tags=window_tags(Window(date(2024, 3, 1), date(2024, 3, 1))),
                            resources=resources)
    meta = _metadata(result)["2024"]
    assert meta["window"] == "2024-03-01"  # its year, narrowed by the window tags
    assert meta["days_landed"] == 1 and "not_landed" not in meta


def test_days_not_landed_are_listed_with_their_reason():
    from orchestration.assets.landing import days_not_landed

    table = days_not_landed({date(2024, 2, 2): ("failed", "[okx/funding] HTTP 500 | boom"),
                             date(2024, 2, 1): ("landed", None), date(2024, 2, 3): ("unavailable", None)})
    assert table.splitlines()[2:] == ["| 2024-02-02 | failed | [okx/funding] HTTP 500 / boom |",
                                      "| 2024-02-03 | unavailable |  |"]

"""The landing asset materialized directly on the sample world: one day, then a range in one run."""
from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from orchestration.assets.landing import landing_asset
from orchestration.feeds import binance
from orchestration.resources import FeedTransportResource, WarehouseResource

NOW = "2024-03-02T00:30:00+00:00"


@pytest.fixture
def resources(tmp_path):
    return {"warehouse": WarehouseResource(warehouse_dir=str(tmp_path / "warehouse")),
            "feeds": FeedTransportResource(mode="sample", sample_now=NOW)}


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    return {e.materialization.partition: {k: v.value for k, v in e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()}


def test_one_day_reports_that_days_rows(resources, tmp_path):
    asset = landing_asset(binance.DATASETS["funding"])
    result = dg.materialize([asset], partition_key="2024-02-20", resources=resources)
    meta = _metadata(result)
    assert list(meta) == ["2024-02-20"]
    assert meta["2024-02-20"]["dagster/row_count"] == 3 and meta["2024-02-20"]["feed_status"] == "ok"
    con = duckdb.connect(str(tmp_path / "warehouse" / "leverage.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM raw.binance__funding").fetchone()[0] == 3


def test_a_range_is_one_run_and_never_claims_the_windows_rows_for_a_day(resources):
    asset = landing_asset(binance.DATASETS["funding"])
    tags = {"dagster/asset_partition_range_start": "2024-02-01", "dagster/asset_partition_range_end": "2024-02-10"}
    result = dg.materialize([asset], tags=tags, resources=resources)
    meta = _metadata(result)
    assert sorted(meta) == [f"2024-02-{d:02d}" for d in range(1, 11)]  # one materialization per partition
    for day in meta.values():
        assert "dagster/row_count" not in day and day["window_rows"] == 30
        assert day["window"] == "2024-02-01..2024-02-10" and day["days_landed"] == 10

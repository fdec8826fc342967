"""The trailing history before a window's first day: its figures follow the models' vars, landing reads it once."""
from __future__ import annotations

from datetime import date

import dagster as dg
import duckdb
import yaml

from orchestration.assets.landing import landing_asset
from orchestration.config import DBT_PROJECT_DIR
from orchestration.feeds import binance
from orchestration.partitions import range_tags
from orchestration.feeds.base import Window
from orchestration.resources import FeedTransportResource, WarehouseResource
from orchestration import trailing

NOW = "2024-03-02T00:30:00+00:00"


def test_the_trailing_days_cover_the_models_lookbacks():
    variables = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    assert trailing.FUNDING_DAYS == variables["funding_lookback_days"]
    assert trailing.OI_DAYS >= max(variables["oi_local_high_window_days"], variables["liq_cluster_lookback_days"])
    assert trailing.TRAILING_DAYS[("binance", "funding")] == trailing.FUNDING_DAYS
    assert trailing.trailing_window(binance.DATASETS["open_interest"], date(2024, 1, 1)) == Window(
        date(2023, 10, 3), date(2023, 12, 31))
    assert trailing.trailing_window(binance.DATASETS["funding"].__class__(), date(2024, 1, 1)).start == date(2023, 1, 1)


def test_landing_reads_the_trailing_year_once(tmp_path):
    resources = {"warehouse": WarehouseResource(warehouse_dir=str(tmp_path / "warehouse")),
                 "feeds": FeedTransportResource(mode="sample", sample_now=NOW)}
    asset = landing_asset(binance.DATASETS["funding"])
    window = Window(date(2024, 2, 1), date(2024, 2, 29))
    for _ in range(2):
        result = dg.materialize([asset], resources=resources, tags=range_tags(window))
        assert result.success
    meta = {k: v.value for k, v in result.get_asset_materialization_events()[0].materialization.metadata.items()}
    con = duckdb.connect(str(tmp_path / "warehouse" / "leverage.duckdb"), read_only=True)
    first = con.execute("select min(partition_date), count(*) from raw.binance__funding").fetchone()
    assert first == (date(2023, 2, 1), (365 + 29) * 3)  # the 365 days before 2024-02-01, and the window
    assert meta["landed"] == "2024-02-23..2024-02-29"  # the unsettled days only: not the trailing year again

"""The code location loads, and its shape (assets, checks, job, schedule) is what the README promises."""
from __future__ import annotations

from datetime import date

import dagster as dg
import pytest

from orchestration.assets.dbt import dbt_build_args, dbt_vars
from orchestration.feeds.base import Window
from orchestration.partitions import DAILY, range_tags


@pytest.fixture(scope="module")
def defs():
    from orchestration.definitions import defs

    return defs


def test_definitions_validate(defs):
    dg.Definitions.validate_loadable(defs)


def test_asset_keys(defs):
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw/binance__funding", "raw/binance__open_interest", "raw/binance__spot_klines",
            "stg_binance__funding", "stg_binance__open_interest", "stg_binance__spot_klines",
            "int_derivatives__venue_hourly", "leverage_condition", "published/marts"} <= keys


def test_dbt_sources_are_linked_to_landing_assets(defs):
    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string() for k in graph.get(dg.AssetKey("stg_binance__funding")).parent_keys}
    assert parents == {"raw/binance__funding"}


def test_gates_are_blocking_checks(defs):
    graph = defs.resolve_asset_graph()
    specs = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    for name in ("gate_raw_binance__funding", "gate_raw_binance__open_interest",
                 "gate_raw_binance__spot_klines", "gate_leverage_condition"):
        assert specs[name].blocking, name
    assert any(name.startswith(("unique_", "not_null_")) for name in specs)  # dbt tests became checks


def test_daily_schedule_refreshes_the_latest_complete_day(defs):
    schedule = defs.resolve_schedule_def("daily_refresh")
    assert schedule.cron_schedule == "30 0 * * *"
    assert schedule.job.name == "refresh_leverage_condition"
    assert DAILY.start.date() == date(2021, 1, 1)


def test_dbt_vars_and_args_are_built_from_the_window():
    window = Window(date(2024, 1, 2), date(2024, 3, 1))
    assert dbt_vars(window) == {"start_date": "2024-01-02", "end_date": "2024-03-01"}
    assert dbt_build_args(window) == ["build", "--vars", '{"end_date": "2024-03-01", "start_date": "2024-01-02"}']
    assert range_tags(window) == {"dagster/asset_partition_range_start": "2024-01-02",
                                  "dagster/asset_partition_range_end": "2024-03-01"}


def test_unpartitioned_dbt_assets_take_the_runs_partition_window():
    from types import SimpleNamespace

    from orchestration.partitions import run_window

    default = Window(date(2021, 1, 1), date(2024, 3, 1))
    ctx = lambda tags: SimpleNamespace(run=SimpleNamespace(tags=tags))  # noqa: E731
    assert run_window(ctx(range_tags(Window(date(2024, 1, 2), date(2024, 2, 1)))), default) == \
        Window(date(2024, 1, 2), date(2024, 2, 1))
    assert run_window(ctx({"dagster/partition": "2024-02-15"}), default) == Window(date(2024, 2, 15), date(2024, 2, 15))
    assert run_window(ctx({}), default) == default

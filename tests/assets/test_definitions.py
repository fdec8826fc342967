"""The code location loads, and its shape (assets, checks, job, schedule) is what the README promises."""
from __future__ import annotations

from datetime import date

import dagster as dg
import pytest

from orchestration.assets.dbt import dbt_build_args, run_window_sql
from orchestration.feeds.base import Window
from orchestration.partitions import YEARLY, range_tags, window_tags


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


def test_daily_schedule_relands_the_last_eight_days_in_one_run(defs):
    from datetime import datetime, timezone

    schedule = defs.resolve_schedule_def("daily_refresh")
    assert schedule.cron_schedule == "30 0 * * *" and schedule.execution_timezone == "UTC"
    assert schedule.job.name == "land_feeds"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING  # refreshes as soon as a daemon runs
    assert YEARLY.start.date() == date(2021, 1, 1)
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(
            2024, 3, 2, 0, 30, tzinfo=timezone.utc))
        (request,) = schedule.evaluate_tick(context).run_requests
    # Tuesday 02-27's CFTC report is out on Friday 03-01: the run at 03-02 00:30 still covers 02-27
    assert range_tags(Window(date(2024, 2, 23), date(2024, 3, 1))).items() <= request.tags.items()
    assert request.run_key == "2024-03-01"
    assert request.tags["leverage/window_start"] == "2024-02-23" and request.tags["leverage/window_end"] == "2024-03-01"
    keys = YEARLY.get_partition_keys_in_range(dg.PartitionKeyRange(
        request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]))
    assert keys == ["2024"]  # a valid range of the job's (yearly) partitions
    new_year = range_tags(Window(date(2024, 12, 25), date(2025, 1, 1)))
    assert YEARLY.get_partition_keys_in_range(dg.PartitionKeyRange(
        new_year["dagster/asset_partition_range_start"], new_year["dagster/asset_partition_range_end"])) == \
        ["2024", "2025"]
    from orchestration.partitions import scheduled_window

    assert scheduled_window(date(2021, 1, 3)) == Window(date(2021, 1, 1), date(2021, 1, 3))  # not before the start


def test_jobs_split_partitioned_landing_from_unpartitioned_marts(defs):
    land, marts = defs.resolve_job_def("land_feeds"), defs.resolve_job_def("build_marts")
    land_keys = {k.to_user_string() for k in land.asset_layer.executable_asset_keys}
    mart_keys = {k.to_user_string() for k in marts.asset_layer.executable_asset_keys}
    assert land_keys and all(k.startswith("raw/") for k in land_keys)
    assert {"leverage_condition", "published/marts", "published/report", "stg_binance__funding"} <= mart_keys
    assert not land_keys & mart_keys
    assert land.partitions_def == YEARLY and marts.partitions_def is None


def _sensor_requests(defs, tags, status=None):
    sensor = defs.resolve_sensor_def("build_marts_after_landing")
    landing_run = dg.DagsterRun(job_name="land_feeds", run_id="landing-run", tags=tags,
                                status=status or dg.DagsterRunStatus.SUCCESS)
    event = dg.DagsterEvent(event_type_value="PIPELINE_SUCCESS", job_name="land_feeds")
    with dg.instance_for_test() as instance:
        context = dg.build_run_status_sensor_context(sensor_name=sensor.name, dagster_instance=instance,
                                                     dagster_run=landing_run, dagster_event=event)
        return sensor(context)


def test_marts_follow_a_successful_landing_over_its_window(defs):
    request = _sensor_requests(defs, range_tags(Window(date(2024, 1, 2), date(2024, 2, 1))))
    assert isinstance(request, dg.RunRequest) and request.run_key == "landing-run"
    assert request.tags == window_tags(Window(date(2024, 1, 2), date(2024, 2, 1)))
    from_ui = _sensor_requests(defs, {"dagster/partition": "2024"})  # one year launched from the UI
    assert from_ui.tags == window_tags(Window(date(2024, 1, 1), date(2024, 12, 31)))
    assert isinstance(_sensor_requests(defs, {}), dg.SkipReason)


def test_the_window_reaches_dbt_as_data_and_its_arguments_never_change(tmp_path):
    import duckdb

    window = Window(date(2024, 1, 2), date(2024, 3, 1))
    # no --vars: partial parsing holds between runs; never the unit tests (make test runs them)
    assert dbt_build_args() == ["build", "--exclude", "resource_type:unit_test"]
    assert dbt_build_args(project_changed=False) == ["build", "--exclude",
                                                     "resource_type:unit_test config.materialized:view"]
    con = duckdb.connect()
    for sql, params in run_window_sql(window) + run_window_sql(window):  # idempotent
        con.execute(sql, params)
    assert con.execute("select * from meta.run_window").fetchall() == [(date(2024, 1, 2), date(2024, 3, 1))]
    for sql, params in run_window_sql(None):
        con.execute(sql, params)
    assert con.execute("select * from meta.run_window").fetchall() == [(None, None)]
    assert range_tags(window) == {"dagster/asset_partition_range_start": "2024",
                                  "dagster/asset_partition_range_end": "2024",
                                  "leverage/window_start": "2024-01-02", "leverage/window_end": "2024-03-01"}


def test_the_parse_state_dbt_writes_can_be_read_back():
    """dbt drops partial_parse.msgpack silently (debug log only) when it holds a map with integer keys, e.g. a
    var like ``{10: 0.3}``, and then every build re-parses the whole project (dbt-core#12578): ~5 s a run."""
    import msgpack

    from orchestration.assets.dbt import DBT_PROJECT, ensure_manifest

    state = ensure_manifest().parent / "partial_parse.msgpack"
    assert state.exists(), f"dbt parse wrote no parse state at {state}"
    msgpack.unpackb(state.read_bytes(), strict_map_key=True)  # what dbt does; raises on an integer key
    assert state.parent == DBT_PROJECT.manifest_path.parent


def test_the_dbt_resource_asks_no_dbt_version_and_builds_no_adapter(monkeypatch):
    """What DbtCoreCli leaves out of every dbt call rests on two private members of dagster-dbt's resource: if
    an upgrade renames them, this fails instead of the ~3 s quietly coming back."""
    import importlib.metadata

    import dagster_dbt.core.resource
    from dagster_dbt import DbtCliResource

    from orchestration.assets.dbt import DbtCoreCli, dbt_resource

    assert {"_cli_version", "_initialize_dbt_core_adapter"} <= set(vars(DbtCliResource))
    monkeypatch.setattr(dagster_dbt.core.resource, "check_output",
                        lambda *a, **k: pytest.fail(f"a subprocess was run: {a}"))
    resource = dbt_resource()
    assert isinstance(resource, DbtCoreCli)
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_unpartitioned_dbt_assets_take_the_runs_partition_window():
    from types import SimpleNamespace

    from orchestration.partitions import run_window

    default = Window(date(2021, 1, 1), date(2024, 3, 1))
    ctx = lambda tags: SimpleNamespace(run=SimpleNamespace(tags=tags))  # noqa: E731
    assert run_window(ctx(range_tags(Window(date(2024, 1, 2), date(2024, 2, 1)))), default) == \
        Window(date(2024, 1, 2), date(2024, 2, 1))
    assert run_window(ctx({"dagster/partition": "2023"}), default) == Window(date(2023, 1, 1), date(2023, 12, 31))
    assert run_window(ctx({"dagster/asset_partition_range_start": "2022",
                           "dagster/asset_partition_range_end": "2023"}), default) == \
        Window(date(2022, 1, 1), date(2023, 12, 31))
    assert run_window(ctx(window_tags(Window(date(2024, 1, 5), date(2024, 1, 9)))), default) == \
        Window(date(2024, 1, 5), date(2024, 1, 9))
    assert run_window(ctx({}), default) == default


def test_a_landing_run_lands_the_days_of_its_years_narrowed_by_its_window_tags():
    from types import SimpleNamespace

    from orchestration.partitions import partition_key, partitions_window, window_from_context

    def ctx(start, end, tags=None):
        return SimpleNamespace(partition_key_range=dg.PartitionKeyRange(start, end), run=SimpleNamespace(tags=tags or {}))

    assert partition_key(date(2024, 12, 31)) == "2024" and partition_key(date(2025, 1, 1)) == "2025"
    assert partitions_window("2021", "2022") == Window(date(2021, 1, 1), date(2022, 12, 31))
    assert window_from_context(ctx("2024", "2024")) == Window(date(2024, 1, 1), date(2024, 12, 31))
    # the year in progress lands up to the latest complete day
    assert window_from_context(ctx("2023", "2024"), latest=date(2024, 3, 4)) == \
        Window(date(2023, 1, 1), date(2024, 3, 4))
    # a failed day re-run from the UI: its year, narrowed by the window tags
    tags = window_tags(Window(date(2024, 2, 12), date(2024, 2, 12)))
    assert window_from_context(ctx("2024", "2024", tags)) == Window(date(2024, 2, 12), date(2024, 2, 12))
    assert window_from_context(ctx("2025", "2025"), latest=date(2024, 3, 4)) is None  # nothing complete


def _publish_mart(published, latest: date) -> None:
    import duckdb

    published.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"copy (select range::date as date from range(date '{latest}' - 3, date '{latest}' + 1, interval 1 day)) "
                f"to '{published / 'leverage_condition.parquet'}' (format parquet)")
    con.close()


def test_the_mart_freshness_check_warns_hourly_from_a_sensor_outside_the_marts_job(defs):
    from orchestration.assets.freshness import CHECK_KEY, SENSOR_NAME

    graph = defs.resolve_asset_graph()
    spec = graph.get_check_spec(CHECK_KEY)
    assert spec.asset_key == dg.AssetKey("leverage_condition") and not spec.blocking
    # inside build_marts it would run before publishing and read the previous snapshot
    assert CHECK_KEY not in set(defs.resolve_job_def("build_marts").asset_layer.asset_graph.asset_check_keys)
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    assert sensor.minimum_interval_seconds == 3600 and sensor.default_status == dg.DefaultSensorStatus.RUNNING


def _freshness_evaluation(defs, warehouse_dir):
    from orchestration.assets.freshness import SENSOR_NAME
    from orchestration.resources import WarehouseResource

    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance,
                                          resources={"warehouse": WarehouseResource(warehouse_dir=str(warehouse_dir))})
        result = sensor.evaluate_tick(context)
    assert not result.run_requests  # reported on the asset, no run launched
    (evaluation,) = result.asset_events
    return evaluation


def test_the_freshness_sensor_reports_fresh_stale_and_missing_marts(defs, tmp_path):
    from datetime import datetime, timedelta, timezone

    from orchestration.assets.freshness import CHECK_KEY

    today = datetime.now(timezone.utc).date()
    _publish_mart(tmp_path / "fresh" / "published", today - timedelta(days=1))
    _publish_mart(tmp_path / "stale" / "published", today - timedelta(days=3))
    fresh, stale, missing = (_freshness_evaluation(defs, tmp_path / name) for name in ("fresh", "stale", "missing"))
    for evaluation in (fresh, stale, missing):
        assert (evaluation.asset_key, evaluation.check_name) == (CHECK_KEY.asset_key, CHECK_KEY.name)
        assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert fresh.passed and fresh.metadata["latest_day"].value == (today - timedelta(days=1)).isoformat()
    assert not stale.passed and "stale" in stale.description
    assert stale.metadata["age_hours"].value > 48
    assert not missing.passed and "no day yet" in missing.description


def test_the_freshness_check_can_be_executed_by_hand(tmp_path):
    from datetime import datetime, timedelta, timezone

    from orchestration.assets.freshness import leverage_condition_freshness
    from orchestration.resources import WarehouseResource

    _publish_mart(tmp_path / "published", datetime.now(timezone.utc).date() - timedelta(days=1))
    result = leverage_condition_freshness(warehouse=WarehouseResource(warehouse_dir=str(tmp_path)))
    assert result.passed and result.severity == dg.AssetCheckSeverity.WARN

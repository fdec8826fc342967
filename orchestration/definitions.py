"""The one Dagster code location: landing assets, dbt assets, gates, publishing, the daily schedule.

Two jobs: ``land_feeds`` (partitioned by year, narrowed to days by tags: every feed, raw gates) and
``build_marts`` (unpartitioned: re-check of the raw tables, dbt build over the window, mart gates, publish).
The schedule launches the landing; a run-status sensor launches the marts after it (see
``orchestration.sensors``); ``make run`` runs both. A second sensor warns, hourly, when the published mart's
latest day is too old (``orchestration.assets.freshness``).
"""
from __future__ import annotations

import os
from datetime import timedelta, timezone

import dagster as dg

from orchestration import gc_settings
from orchestration.assets.checks import Gate, gates_check
from orchestration.assets.dbt import build_dbt_assets, dbt_resource
from orchestration.assets.freshness import CHECK_KEY, leverage_condition_freshness, mart_freshness_sensor
from orchestration.assets.landing import landing_asset, raw_gate
from orchestration.assets.publishing import MAY_BE_EMPTY, PUBLISHED_MARTS, published_marts
from orchestration.assets.report import published_report
from orchestration.config import ConfigError, settings
from orchestration.feeds.registry import datasets
from orchestration.partitions import SCHEDULE_DAYS, YEARLY, range_tags, scheduled_window
from orchestration.resources import FeedTransportResource, WarehouseResource
from orchestration.sensors import marts_after_landing

gc_settings.for_batch_runs()  # the process that loads this code location runs the jobs (Dagster's run workers)

LAND_JOB = "land_feeds"
MARTS_JOB = "build_marts"
RAW_GROUP = "raw"


def _env(name: str, default: str):
    """An EnvVar where the variable is set (resolved at run time, shown as such in the UI), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def daily_refresh(land_job) -> dg.ScheduleDefinition:
    """00:30 UTC: land the last ``SCHEDULE_DAYS`` days up to the latest complete one, in one run; the marts
    follow through the sensor."""

    @dg.schedule(job=land_job, cron_schedule="30 0 * * *", execution_timezone="UTC", name="daily_refresh",
                 default_status=dg.DefaultScheduleStatus.RUNNING,
                 description=f"Land the {SCHEDULE_DAYS} days up to the latest complete UTC day (late data and "
                             "failed days fill in); the marts follow.")
    def _schedule(context: dg.ScheduleEvaluationContext):
        latest = (context.scheduled_execution_time.astimezone(timezone.utc) - timedelta(days=1)).date()
        window = scheduled_window(latest)
        return dg.RunRequest(run_key=latest.isoformat(), tags=range_tags(window))

    return _schedule


def build_defs(resource_overrides: dict | None = None) -> dg.Definitions:
    """All definitions; ``resource_overrides`` lets tests swap a resource (e.g. a corrupting transport)."""
    config = settings()
    landing = [landing_asset(d) for d in datasets()]  # each gates its raw table in its own step
    # the marts run re-checks each raw table for its own window before dbt reads it: a raw table changed
    # after its landing run (or landed by a run whose gate was not looked at) cannot reach the mart unchecked
    raw_rechecks = gates_check("recheck_raw_tables", [raw_gate(d, recheck=True) for d in datasets()],
                               description="Re-check every raw table for the marts run's window before dbt reads it.")
    # every published table is gated, whole (intermediate tables published for BI included)
    mart_gates = gates_check("gate_published_tables",
                             [Gate(dg.AssetKey(name), f"main.{name}", name, None, may_be_empty=name in MAY_BE_EMPTY)
                              for name in PUBLISHED_MARTS],
                             description="Gate every table the snapshot publishes before it is published.")
    raw = dg.AssetSelection.groups(RAW_GROUP)
    rechecks = dg.AssetSelection.checks(*raw_rechecks.check_keys)
    land = dg.define_asset_job(LAND_JOB, selection=raw - rechecks, partitions_def=YEARLY,
                               description="Land every feed for the days of its years (narrowed by its window "
                                           "tags); gate the raw tables.")
    # the freshness check reads the published snapshot: inside build_marts it would run before publishing; its
    # sensor evaluates it every hour instead
    freshness = dg.AssetSelection.checks(CHECK_KEY)
    marts = dg.define_asset_job(MARTS_JOB, selection=(dg.AssetSelection.all() - raw - freshness) | rechecks,
                                description="Re-check the raw tables for the window of the landing run it "
                                            "follows, dbt build over it, gate the marts, publish, write the report.")
    return dg.Definitions(
        assets=[*landing, build_dbt_assets(), published_marts, published_report],
        asset_checks=[raw_rechecks, mart_gates, leverage_condition_freshness],
        jobs=[land, marts],
        schedules=[daily_refresh(land)],
        sensors=[marts_after_landing(land, marts), mart_freshness_sensor],
        resources={**{
            "warehouse": WarehouseResource(warehouse_dir=_env("LC_WAREHOUSE_DIR", str(config.warehouse_dir))),
            "feeds": FeedTransportResource(mode=_env("LC_MODE", config.mode),
                                           sample_now=_env("LC_SAMPLE_NOW", ""),
                                           recorded_dir=_env("LC_RECORDED_DIR", str(config.recorded_dir))),
            "dbt": dbt_resource(),
        }, **(resource_overrides or {})},
        # DuckDB takes one writing process at a time: steps run one after another in the run's process.
        executor=dg.in_process_executor,
    )



try:
    defs = build_defs()
except ConfigError as exc:  # a bad setting: Dagster shows its one line, not the frames of config.py
    raise exc.with_traceback(None) from None

"""The marts follow the landing: when a landing run succeeds, one marts run covers the same window.

Two jobs instead of one because Dagster applies a partitioned run's partition range to every asset and
check in it, partitioned or not: in one combined job a six-year backfill logged ~2,150 planned events for
each of the 20 unpartitioned dbt assets and ~2,150 planned rows for each of the ~100 dbt tests, most of
the run's time. Landing stays partitioned (per-day status in the UI); the marts run is unpartitioned and
takes its window from tags (``partitions.window_tags``).
"""
from __future__ import annotations

import dagster as dg

from orchestration.partitions import window_from_tags, window_tags


def marts_after_landing(land_job, marts_job) -> dg.SensorDefinition:
    """A run-status sensor: each successful ``land_job`` run requests one ``marts_job`` run for its window.

    A landing run fails when a raw gate finds bad data (a blocking ERROR); then no marts run is requested
    and the published snapshot stays as it was. A feed that merely failed to answer is a WARN: the run
    succeeds and the marts show the gap in their completeness.
    """

    @dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[land_job],
                          request_job=marts_job, name="build_marts_after_landing",
                          default_status=dg.DefaultSensorStatus.RUNNING,
                          description="Build, gate and publish the marts over the window a landing run covered.")
    def _sensor(context: dg.RunStatusSensorContext):
        window = window_from_tags(context.dagster_run.tags)
        if window is None:
            return dg.SkipReason(f"landing run {context.dagster_run.run_id} has no partition window")
        return dg.RunRequest(run_key=context.dagster_run.run_id, tags=window_tags(window))

    return _sensor

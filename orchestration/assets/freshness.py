"""Freshness of the mart in the Dagster UI: a WARN check on ``leverage_condition``, evaluated hourly by a sensor.

Dagster's own freshness tools time the last materialization (``FreshnessPolicy``, the
``build_*_freshness_checks``), which a rebuild that adds no day still refreshes; this check reads the mart's
latest day instead (``orchestration.freshness``). The sensor reports the check's result without launching a
run (a runless ``AssetCheckEvaluation``), so a stopped schedule or a dead run queue cannot stop the warning.
The check is not part of ``build_marts``: there it would run before publishing and read the previous snapshot.
It can still be executed by hand from the asset's Checks tab.
"""
from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg

from orchestration.freshness import MART, MartFreshness, latest_published_day, mart_freshness
from orchestration.resources import WarehouseResource

CHECK_NAME = "leverage_condition_freshness"
SENSOR_NAME = "leverage_condition_freshness_hourly"
EVERY_SECONDS = 3600
CHECK_KEY = dg.AssetCheckKey(dg.AssetKey(MART), CHECK_NAME)


def evaluate(warehouse: WarehouseResource, now: datetime | None = None) -> MartFreshness:
    published = warehouse.published_dir
    return mart_freshness(latest_published_day(published), now or datetime.now(timezone.utc),
                          where=f"the published {MART} ({published / (MART + '.parquet')})")


@dg.asset_check(asset=dg.AssetKey(MART), name=CHECK_NAME, blocking=False,
                description="WARN when the published mart's latest day ended more than 30 hours ago (day D is "
                            "complete at D+1 00:00 UTC and published by the 00:30 schedule). Evaluated every "
                            f"hour by the sensor {SENSOR_NAME}.")
def leverage_condition_freshness(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    result = evaluate(warehouse)
    return dg.AssetCheckResult(passed=result.passed, severity=dg.AssetCheckSeverity.WARN,
                               metadata=result.metadata, description=result.description)


@dg.sensor(name=SENSOR_NAME, minimum_interval_seconds=EVERY_SECONDS, default_status=dg.DefaultSensorStatus.RUNNING,
           description=f"Every hour: evaluate {CHECK_NAME} on {MART} (WARN when the published mart's latest day "
                       "ended more than 30 hours ago) and report it on the asset, without a run.")
def mart_freshness_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
    result = evaluate(warehouse)
    if not result.passed:
        context.log.warning(result.description)
    return dg.SensorResult(asset_events=[dg.AssetCheckEvaluation(
        asset_key=CHECK_KEY.asset_key, check_name=CHECK_KEY.name, passed=result.passed,
        severity=dg.AssetCheckSeverity.WARN, metadata=result.metadata, description=result.description)])

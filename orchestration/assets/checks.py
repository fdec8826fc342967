"""Great Expectations gates as blocking Dagster asset checks.

``gate_check`` builds one ``@asset_check(blocking=True)`` per gated table: it reads the table from the
warehouse (read-only), restricted to the run's partition window when the table is partitioned, validates it
against ``expectations/<suite>.json`` (``orchestration.gates``) and returns an ERROR-severity result whose
metadata names every failed expectation and how many rows broke it. A failing gate stops downstream assets
in the run. An empty window fails: nothing landed means nothing to trust.
"""

from datetime import date
from typing import Any

import dagster as dg
import duckdb

from orchestration import gates
from orchestration.raw_store import landing_statuses
from orchestration.resources import WarehouseResource

Window = tuple[date, date]  # [start, end): start inclusive, end exclusive


def partition_window(context: dg.AssetCheckExecutionContext) -> Window | None:
    """The run's partition window as dates [start, end), or None for an unpartitioned run.

    In dagster 1.13 a check on a partitioned asset sees the run's partition through its context:
    ``has_partition_key`` (single-partition run) or ``has_partition_key_range`` (single-run backfill), and
    ``partition_time_window`` (UTC datetimes, end exclusive) for time-window partitions.
    """
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    try:
        tw = context.partition_time_window
        return tw.start.date(), tw.end.date()
    except Exception:  # not time-window partitions: fall back to ISO-date keys, end inclusive
        from datetime import timedelta

        rng = context.partition_key_range
        return date.fromisoformat(rng.start[:10]), date.fromisoformat(rng.end[:10]) + timedelta(days=1)


def _qualified(table: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))


def window_query(table: str, partition_column: str | None, window: Window | None) -> tuple[str, list[Any]]:
    """SQL (and parameters) selecting the rows a gate validates. Pure; unit-tested."""
    sql = f"select * from {_qualified(table)}"
    if partition_column is None or window is None:
        return sql, []
    col = '"' + partition_column.replace('"', '""') + '"'
    return f"{sql} where {col} >= ?::date and {col} < ?::date", [window[0].isoformat(), window[1].isoformat()]


def describe_window(partition_column: str | None, window: Window | None) -> str:
    if partition_column is None or window is None:
        return "whole table"
    return f"{partition_column} in [{window[0].isoformat()}, {window[1].isoformat()})"


def gate_check(
    asset_key: dg.AssetKey,
    table: str,
    suite: str,
    partition_column: str | None,
    *,
    landing: tuple[str, str] | None = None,
    description: str | None = None,
) -> dg.AssetChecksDefinition:
    """A blocking asset check named ``gate_<suite>`` on ``asset_key`` validating warehouse table ``table``
    (``schema.name``, or ``name`` in schema main) against ``expectations/<suite>.json``.

    ``landing`` = (provider, dataset) for raw tables: their per-day landing statuses tell a feed that
    failed (reported with WARN severity, not blocking: the other feeds go on and the mart's completeness
    shows the gap) from bad data that landed (ERROR, blocking) and from days the provider does not serve
    (history limits: nothing to validate, not a failure).
    """
    gates.suite_path(suite)  # validates the suite name at definition time (no GE import)

    @dg.asset_check(
        asset=asset_key,
        blocking=True,
        name=f"gate_{suite}",
        description=description
        or f"Great Expectations suite `{suite}` on `{table}` (run's partition window; blocking).",
    )
    def _gate(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        window = partition_window(context) if partition_column else None
        scope = describe_window(partition_column, window)
        sql, params = window_query(table, partition_column, window)
        report: gates.GateReport | None = None
        statuses: dict[str, list] = {}
        try:
            with warehouse.connect(read_only=True) as con:
                frame = con.execute(sql, params).df()
                if landing and window:
                    statuses = landing_statuses(con, *landing, window[0], window[1])
        except (duckdb.CatalogException, duckdb.IOException) as exc:
            report = gates.empty_report(suite, f"cannot read {table} ({scope}): {str(exc).splitlines()[0]}")
        else:
            failed_days = statuses.get("failed", [])
            if frame.empty and statuses and not failed_days:
                skipped = statuses.get("skipped")
                why = (f"the feed was skipped: {skipped[0][1]}" if skipped
                       else "the provider serves none of these days")
                summary = (f"{table} ({scope}): nothing to validate: {why} "
                           f"({', '.join(f'{k}: {len(v)}' for k, v in sorted(statuses.items()))})")
                context.log.info(f"gate_{suite}: {summary}")
                return dg.AssetCheckResult(passed=True, metadata={"table": table, "window": scope,
                                                                  "rows": 0}, description=summary)
            if frame.empty and not failed_days:
                report = gates.empty_report(
                    suite, f"no rows in {table} for {scope}: nothing landed = nothing to trust"
                )
            elif not frame.empty:
                report = gates.validate(frame, suite)
            if failed_days and (report is None or report.success):
                return _feed_failure(context, suite, table, scope, failed_days, report)
        metadata: dict[str, Any] = {"table": table, "window": scope, **report.to_metadata()}
        if report.success:
            summary = f"{table} ({scope}): {report.row_count} rows passed {report.evaluated} expectations"
        elif report.note:
            summary = report.note
        else:
            summary = (
                f"{table} ({scope}): {len(report.failed)} of {report.evaluated} expectations failed: "
                + "; ".join(f.describe() for f in report.failed)
            )
        (context.log.info if report.success else context.log.error)(f"gate_{suite}: {summary}")
        return dg.AssetCheckResult(
            passed=report.success,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
            description=summary[:2000],
        )

    return _gate


def _feed_failure(context, suite: str, table: str, scope: str, failed_days: list,
                  report: "gates.GateReport | None") -> dg.AssetCheckResult:
    """A feed that failed for some days: reported, not blocking (what did land passed its suite)."""
    first_error = next((error for _, error in failed_days if error), "unknown error")
    summary = (f"{table} ({scope}): the feed failed for {len(failed_days)} day(s) "
               f"({failed_days[0][0]}..{failed_days[-1][0]}): {first_error}")
    context.log.warning(f"gate_{suite}: {summary}")
    metadata: dict[str, Any] = {"table": table, "window": scope, "failed_days": len(failed_days),
                                "first_failed_day": str(failed_days[0][0]), "feed_error": first_error[:2000],
                                **(report.to_metadata() if report else {"rows": 0})}
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, metadata=metadata,
                               description=summary[:2000])

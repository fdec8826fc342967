"""Great Expectations gates as blocking Dagster asset checks.

A :class:`Gate` is one gated table, with its own blocking check in the asset graph. Where it runs is a
matter of steps, which cost a run more than most validations: a raw table's gate runs inside its landing
asset (``orchestration.assets.landing``), the marts run's re-checks of the raw tables run as one step, and
the published tables' gates as another (:func:`gates_check`). Each gate reads its table from the
warehouse (read-only), restricted to the run's partition window when the table is partitioned, validates it
against ``expectations/<suite>.json`` (``orchestration.gates``) and returns an ERROR-severity result whose
metadata names every failed expectation and how many rows broke it. A failing gate stops downstream assets
in the run. An empty window fails: nothing landed means nothing to trust.

Suites with history-relative expectations (``meta.plausibility``, see ``orchestration.gates``) need the days
before the window: the gate reads the window plus the suite's lookback and validates the window.

``recheck=True`` builds the marts run's re-check of a raw table (``recheck_<suite>``): the marts job is
unpartitioned, so its window comes from the run's tags (``partitions.run_window``); the dbt models read the
raw tables as sources, so Dagster runs every re-check before dbt and a blocking failure stops dbt and
publishing: no path publishes raw data that did not pass its gate for the window being built. Data that
merely is not there (a feed that failed or never landed for the window) is a WARN there, not a block: the
mart shows the gap in its completeness.
"""

from dataclasses import dataclass
from datetime import date, timedelta, timezone
from typing import Any

import dagster as dg
import duckdb

from orchestration import gate_passes, gates
from orchestration.config import dbt_target
from orchestration.days import Window
from orchestration.partitions import narrowed, run_window
from orchestration.raw_store import STATUS_TABLE, landing_statuses, quoted
from orchestration.resources import WarehouseResource


def partition_window(context: dg.AssetCheckExecutionContext) -> Window | None:
    """The run's partition window, or None for an unpartitioned run.

    In dagster 1.13 a check on a partitioned asset sees the run's partition through its context:
    ``has_partition_key`` (single-partition run) or ``has_partition_key_range`` (single-run backfill), and
    ``partition_time_window`` (UTC datetimes, end exclusive) for time-window partitions.
    """
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    try:
        tw = context.partition_time_window
        days = Window(tw.start.date(), tw.end.date() - timedelta(days=1))
    except Exception:  # not time-window partitions: fall back to ISO-date keys, end inclusive
        rng = context.partition_key_range
        days = Window(date.fromisoformat(rng.start[:10]), date.fromisoformat(rng.end[:10]))
    # a landing run narrowed to some days of its years (window tags) is checked on those days
    return narrowed(days, context.run.tags) or days


def tagged_window(context) -> Window:
    """The window of an unpartitioned run (the marts job) from its tags; without tags, what the dbt models
    default to (``partitions.run_window``: every day up to the latest complete one)."""
    return run_window(context)


def window_query(table: str, partition_column: str | None, window: Window | None,
                 lookback_days: int = 0) -> tuple[str, list[Any]]:
    """SQL (and parameters) selecting the rows a gate reads: the window and, for history-relative
    expectations, the ``lookback_days`` before it. Pure; unit-tested."""
    sql = f"select * from {quoted(table)}"
    if partition_column is None or window is None:
        return sql, []
    col = quoted(partition_column)
    start = window.start - timedelta(days=lookback_days)
    return f"{sql} where {col} >= ?::date and {col} < ?::date", [start.isoformat(), window.stop.isoformat()]


def describe_window(partition_column: str | None, window: Window | None) -> str:
    if partition_column is None or window is None:
        return "whole table"
    return f"{partition_column} in [{window.start.isoformat()}, {window.stop.isoformat()})"


@dataclass(frozen=True)
class Gate:
    """One gated table: the asset it belongs to, the warehouse table (``schema.name``, or ``name`` in schema
    main), its suite ``expectations/<suite>.json`` and how the rows to read are found.

    ``landing`` = (provider, dataset) for raw tables: their per-day landing statuses tell a feed that
    failed (reported with WARN severity, not blocking: the other feeds go on and the mart's completeness
    shows the gap) from bad data that landed (ERROR, blocking) and from days the provider does not serve
    (history limits: nothing to validate, not a failure).

    ``recheck=True``: the marts run's re-check, named ``recheck_<suite>``, over the run's tagged window (see
    the module docstring); an empty window is a WARN there.

    ``may_be_empty=True``: a table whose emptiness is an answer, not a failure (no deleveraging event in a
    short span): no rows passes, saying so.
    """

    asset_key: dg.AssetKey
    table: str
    suite: str
    partition_column: str | None
    landing: tuple[str, str] | None = None
    recheck: bool = False
    may_be_empty: bool = False
    description: str | None = None

    def __post_init__(self) -> None:
        gates.suite_path(self.suite)  # validates the suite name at definition time (no GE import)

    @property
    def name(self) -> str:
        return f"recheck_{self.suite}" if self.recheck else f"gate_{self.suite}"

    @property
    def key(self) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(self.asset_key, self.name)

    def spec(self) -> dg.AssetCheckSpec:
        default = (f"Re-check of `{self.table}` against `{self.suite}` for the marts run's window before dbt reads "
                   "it (blocking)." if self.recheck else
                   f"Great Expectations suite `{self.suite}` on `{self.table}` (run's partition window; blocking).")
        return dg.AssetCheckSpec(self.name, asset=self.asset_key, blocking=True,
                                 description=self.description or default)


def run_gate(context, warehouse: WarehouseResource, gate: Gate) -> dg.AssetCheckResult:
    """The gate's verdict for the running step (an asset check's, or the landing asset's own): reads the rows
    of the run's window and validates them (see :func:`evaluate`)."""
    if dbt_target() == "spark" and gate.landing is None and not gate.recheck:
        # a mart gate reads DuckDB's table, which this run did not build: it blocks rather than pass stale rows
        return dg.AssetCheckResult(
            asset_key=gate.asset_key, check_name=gate.name, passed=False, metadata={"table": gate.table},
            description=f"{gate.table} was built on Spark (LC_DBT_TARGET=spark): gating and publishing Spark's "
                        "tables is not supported yet, so nothing is published and the last snapshot stays; Spark's "
                        "tables are in <warehouse>/spark/tables (unset LC_DBT_TARGET to build, gate and publish on "
                        "DuckDB)")
    if not gate.partition_column:
        window = None
    elif gate.recheck:
        # the whole window, even where dbt rebuilds less: models rebuilt in full (market_daily) and the
        # incremental ones' lookbacks read raw days before the rebuilt ones
        window = tagged_window(context)
    else:
        window = partition_window(context)
        if gate.landing and window:
            window = landed_by_this_run(context, warehouse, gate.landing, window)
            if window is None:
                summary = f"{gate.table}: every day of this run's window is settled (validated when it landed)"
                return dg.AssetCheckResult(asset_key=gate.asset_key, check_name=gate.name, passed=True,
                                           metadata={"table": gate.table, "rows": 0}, description=summary)
    remembered = gate.landing is not None and window is not None
    if remembered:
        fingerprint, earlier = _earlier_pass(warehouse, gate, window)
        if earlier and gate.recheck:
            name, when = earlier
            scope = describe_window(gate.partition_column, window)
            summary = (f"{gate.table} ({scope}): the same rows passed the same rules in {name} at "
                       f"{when:%Y-%m-%d %H:%M:%S} UTC: not validated again")
            return dg.AssetCheckResult(asset_key=gate.asset_key, check_name=gate.name, passed=True,
                                       metadata={"table": gate.table, "window": scope, "unchanged_since": str(when)},
                                       description=summary)
    result = evaluate(context, warehouse, gate.name, gate.table, gate.suite, gate.partition_column, window,
                      landing=gate.landing, empty_blocks=not gate.recheck, may_be_empty=gate.may_be_empty)
    if remembered and fingerprint and result.passed:
        with warehouse.connect() as con:
            gate_passes.record_pass(con, gate.suite, window, fingerprint, gate.name)
    return result._replace(asset_key=gate.asset_key, check_name=gate.name)


def _earlier_pass(warehouse: WarehouseResource, gate: Gate, window: Window):
    """(the fingerprint of what ``gate`` reads over ``window``, a recorded pass of it or None); no fingerprint
    when the table cannot be read (the gate then says why)."""
    try:
        with warehouse.connect(read_only=True) as con:
            fingerprint = gate_passes.fingerprint(con, gate.table, gate.partition_column, window,
                                                  gates.lookback_days(gate.suite), gate.landing)
            return fingerprint, gate_passes.earlier_pass(con, gate.suite, window, fingerprint)
    except (duckdb.CatalogException, duckdb.IOException):
        return None, None


def gates_check(name: str, gated: list[Gate], description: str | None = None) -> dg.AssetChecksDefinition:
    """The gates of several tables as ONE step (a Dagster multi-asset check): a step costs the run more than
    most validations do, and each gate still has its own check, result and blocking edge in the asset graph.
    Runs the selected gates only (the UI may run one)."""

    @dg.multi_asset_check(specs=[gate.spec() for gate in gated], name=name, can_subset=True,
                          description=description)
    def _gates(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        selected = context.selected_asset_check_keys
        with warehouse.held():
            for gate in gated:
                if gate.key in selected:
                    yield run_gate(context, warehouse, gate)

    return _gates


def gate_check(asset_key: dg.AssetKey, table: str, suite: str, partition_column: str | None,
               **options: Any) -> dg.AssetChecksDefinition:
    """One table's gate as its own check step, named ``gate_<suite>`` (``recheck_<suite>`` with
    ``recheck=True``); ``options`` are :class:`Gate`'s."""
    gate = Gate(asset_key, table, suite, partition_column, **options)
    return gates_check(gate.name, [gate])


def landed_by_this_run(context, warehouse: WarehouseResource, landing: tuple[str, str],
                       window: Window) -> Window | None:
    """The part of ``window`` from the earliest day this run recorded an outcome for (the days before it are
    settled: skipped by the landing and validated when they landed); None when it recorded none."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is None or record.create_timestamp is None:
        return window
    started = record.create_timestamp.astimezone(timezone.utc).replace(tzinfo=None)
    try:
        with warehouse.connect(read_only=True) as con:
            first, recorded = con.execute(
                f"SELECT min(partition_date) FILTER (WHERE landed_at >= ?), count(*) FROM {STATUS_TABLE} "
                "WHERE provider = ? AND dataset = ? AND partition_date >= ? AND partition_date < ?",
                [started, *landing, *window.half_open]).fetchone()
    except (duckdb.CatalogException, duckdb.IOException):
        return window
    if not recorded:
        return window  # no outcome recorded at all: the gate says what is missing
    return Window(first, window.end) if first else None


def evaluate(context, warehouse: WarehouseResource, name: str, table: str, suite: str,
             partition_column: str | None, window: Window | None, *, landing: tuple[str, str] | None = None,
             empty_blocks: bool = True, may_be_empty: bool = False) -> dg.AssetCheckResult:
    """Read ``table`` for ``window`` (plus the suite's lookback), validate it, and say what failed."""
    scope = describe_window(partition_column, window)
    lookback = gates.lookback_days(suite) if window is not None and partition_column else 0
    sql, params = window_query(table, partition_column, window, lookback)
    report: gates.GateReport | None = None
    statuses: dict[str, list] = {}
    try:
        with warehouse.connect(read_only=True) as con:
            frame = con.execute(sql, params).df()
            if landing and window:
                statuses = landing_statuses(con, *landing, window)
    except (duckdb.CatalogException, duckdb.IOException) as exc:
        report = gates.empty_report(suite, f"cannot read {table} ({scope}): {str(exc).splitlines()[0]}")
    else:
        in_window = frame
        if window is not None and partition_column and lookback:
            in_window = frame[gates.in_window(frame[partition_column], window.half_open)]
        failed_days = statuses.get("failed", [])
        landed_but_gone = in_window.empty and not empty_blocks and statuses.get("landed")
        if in_window.empty and may_be_empty:
            summary = f"{table} ({scope}): no rows, which this table allows (none in this span)"
            return dg.AssetCheckResult(passed=True, metadata={"table": table, "window": scope, "rows": 0},
                                       description=summary)
        if in_window.empty and statuses and not failed_days and not landed_but_gone:
            skipped = statuses.get("skipped")
            why = (f"the feed was skipped: {skipped[0][1]}" if skipped
                   else "the provider serves none of these days")
            summary = (f"{table} ({scope}): nothing to validate: {why} "
                       f"({', '.join(f'{k}: {len(v)}' for k, v in sorted(statuses.items()))})")
            return dg.AssetCheckResult(passed=True, metadata={"table": table, "window": scope,
                                                              "rows": 0}, description=summary)
        if in_window.empty and not failed_days:
            if not empty_blocks:
                landed = f" ({len(landed_but_gone)} day(s) recorded as landed)" if landed_but_gone else ""
                summary = (f"{table} ({scope}): no rows to re-check{landed}: nothing from this table reaches the "
                           "mart for these days (its completeness shows the gap)")
                return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                                           metadata={"table": table, "window": scope, "rows": 0},
                                           description=summary)
            report = gates.empty_report(
                suite, f"no rows in {table} for {scope}: nothing landed = nothing to trust"
            )
        elif not in_window.empty:
            report = gates.validate(frame, suite, window=window.half_open if lookback else None, table=table)
        if failed_days and (report is None or report.success):
            return _feed_failure(table, scope, failed_days, report)
    metadata: dict[str, Any] = {"table": table, "window": scope, **report.to_metadata()}
    if report.success:
        summary = f"{table} ({scope}): {report.row_count} rows passed {report.evaluated} expectations"
    elif report.note:
        summary = report.note
    else:
        summary = (
            f"{table} ({scope}): {len(report.failed)} of {report.evaluated} expectations failed: "
            + "; ".join(f.explain() for f in report.failed)
        )
    return dg.AssetCheckResult(
        passed=report.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description=summary[:2000],
    )


def _feed_failure(table: str, scope: str, failed_days: list,
                  report: "gates.GateReport | None") -> dg.AssetCheckResult:
    """A feed that failed for some days: reported, not blocking (what did land passed its suite)."""
    first_error = next((error for _, error in failed_days if error), "unknown error")
    summary = (f"{table} ({scope}): the feed failed for {len(failed_days)} day(s) "
               f"({failed_days[0][0]}..{failed_days[-1][0]}): {first_error}")
    metadata: dict[str, Any] = {"table": table, "window": scope, "failed_days": len(failed_days),
                                "first_failed_day": str(failed_days[0][0]), "feed_error": first_error[:2000],
                                **(report.to_metadata() if report else {"rows": 0})}
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, metadata=metadata,
                               description=summary[:2000])

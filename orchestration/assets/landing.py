"""Landing assets: one per provider dataset, built by one factory around ``raw_store.land``; each runs its raw
table's gate in the same step (its blocking check is the asset's own check spec)."""

from collections import Counter

import dagster as dg

from orchestration.assets.checks import Gate, run_gate
from orchestration.config import latest_complete_day
from orchestration.days import Window
from orchestration.feeds.base import Dataset
from orchestration.partitions import RELAND_TAG, SINGLE_RUN, YEARLY, window_from_context
from orchestration.raw_store import days_with_status, land, raw_columns, raw_table, settled_days, skip
from orchestration.resources import FeedTransportResource, WarehouseResource
from orchestration.trailing import trailing_window


def raw_asset_key(dataset: Dataset) -> dg.AssetKey:
    return dg.AssetKey(["raw", f"{dataset.provider.name}__{dataset.name}"])


def raw_gate(dataset: Dataset, recheck: bool = False) -> Gate:
    """The gate of ``dataset``'s raw table: ``gate_raw_<provider>__<dataset>`` in its landing step, or the marts
    run's ``recheck_raw_...`` of it."""
    table = raw_table(dataset)
    return Gate(raw_asset_key(dataset), table, table.replace(".", "_"), "partition_date",
                landing=(dataset.provider.name, dataset.name), recheck=recheck)


def landing_asset(dataset: Dataset) -> dg.AssetsDefinition:
    """A yearly-partitioned asset that lands ``dataset`` for the run's days into its raw table (see
    ``orchestration.partitions`` for why years, and how a run narrows to days), then gates what it landed."""
    table = raw_table(dataset)
    gate = raw_gate(dataset)

    @dg.asset(
        key=raw_asset_key(dataset),
        partitions_def=YEARLY,
        backfill_policy=SINGLE_RUN,
        group_name="raw",
        kinds={"python", "duckdb"},
        description=f"{(type(dataset).__doc__ or '').strip()}\n\nLanded into `{table}`; payloads kept verbatim.",
        metadata={"table": table, "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, kind) for name, kind in raw_columns(dataset).items()])},
        check_specs=[gate.spec()],
    )
    def _land_and_gate(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                       feeds: FeedTransportResource) -> dg.MaterializeResult:
        with warehouse.held():
            metadata = _land(context, warehouse, feeds)
            checks = [run_gate(context, warehouse, gate)] if gate.key in context.selected_asset_check_keys else []
        return dg.MaterializeResult(metadata=metadata, check_results=checks)

    def _land(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
              feeds: FeedTransportResource) -> dict:
        client = feeds.client(dataset.provider)
        now = client.now()  # one clock for the window and the landing: the transport's
        window = window_from_context(context, latest_complete_day(now))
        if window is None:
            context.log.info(f"{table}: no complete day in this run's partitions and window: nothing to land")
            return {"window": "none", "feed_status": "nothing to land", "window_rows": 0}
        skipped = dataset.provider.missing_key_reason() if feeds.is_live else None
        if skipped:
            # a paid aggregator without its key: recorded and reported, the other feeds and the marts go on
            with warehouse.connect() as con:
                skip(dataset, window, con, skipped)
            # said once: the materialization carries it (the terminal's line for this feed, the UI's metadata)
            context.log.info(skipped)
            return {"window": str(window), "feed_status": "skipped", "skipped_reason": skipped, "window_rows": 0,
                    "reason": f"{dataset.provider.api_key_env} is not set"}
        with warehouse.connect() as con:
            # days that landed long after they ended do not change any more: a re-run skips them, unless
            # tagged leverage/reland=all (e.g. after a provider revised its history)
            settled = set() if context.run.tags.get(RELAND_TAG) == "all" else settled_days(con, dataset, window)
            pending = [day for day in window.days() if day not in settled]
            if not pending:
                context.log.info(f"{table}: all {len(settled)} days of {window} are settled: nothing to land")
                return {"window": str(window), "feed_status": "ok", "window_rows": 0, "days_settled": len(settled)}
            todo = Window(pending[0], pending[-1])
            # the days the models' trailing windows read before the window, once (orchestration.trailing)
            history = trailing_window(dataset, todo.start)
            if history is not None:
                known = days_with_status(con, dataset, history)
                unknown = [day for day in history.days() if day not in known]
                if unknown:
                    todo = Window(unknown[0], todo.end)
            # One feed failing must not stop the others: the failure is recorded per day in
            # raw._landing_status, the raw gate reports it, the mart's completeness shows it.
            result = land(dataset, todo, client, warehouse.raw_dir, con, now, raise_on_error=False)
        error = str(result.error) if result.error else None
        offline = feeds.offline_notice()
        if offline:
            context.log.warning(offline)  # once per run, by the feed that made it clear
        # the figures are the window's; trailing days read before it are counted apart
        own = {day: outcome for day, outcome in result.statuses.items() if day >= window.start}
        trailing = {day: n for day, n in result.rows_per_day.items() if day < window.start}
        window_rows = result.rows - sum(trailing.values())
        statuses = Counter(status for status, _ in own.values())
        # the outcome is said once, by the materialization (its metadata is the terminal's line for this feed)
        context.log.info(f"{table}: {window_rows} rows from {result.pages} payload(s) for {window}; "
                         f"days by status {dict(statuses)}"
                         + (f"; {sum(trailing.values())} rows on {len(trailing)} trailing days before it"
                            if trailing else "") + (f"; failed: {error}" if error else ""))
        # A range run records this one result against every partition in it (Dagster has no per-partition
        # results in a single-run backfill), so the figures are the window's; the days that did not land
        # are listed with their reason (raw._landing_status holds every day).
        settled_outside = len([day for day in settled if not todo.start <= day <= todo.end])
        return {
            "window_rows": window_rows,
            "window": str(window),
            "landed": str(todo),
            **({"trailing_days": len(trailing), "trailing_rows": sum(trailing.values())} if trailing else {}),
            **({"days_settled": settled_outside} if settled_outside else {}),
            "feed_status": "failed" if error else "ok",
            **({"error": error, "reason": result.error.cause} if error else {}),
            **{f"days_{status}": n for status, n in sorted(statuses.items())},
            **({"not_landed": dg.MetadataValue.md(days_not_landed(own))}
               if set(statuses) - {"landed"} else {}),
            "pages": result.pages,
            "payload_bytes": result.payload_bytes,
        }

    return _land_and_gate


def days_not_landed(statuses: dict, limit: int = 62) -> str:
    """A markdown table of the days that did not land (status and reason), oldest first."""
    rows = [(day, status, reason) for day, (status, reason) in sorted(statuses.items()) if status != "landed"]
    lines = ["| day | status | reason |", "|---|---|---|"]
    lines += [f"| {day} | {status} | {(reason or '').replace('|', '/')[:200]} |" for day, status, reason in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"| ... | | {len(rows) - limit} more days: see raw._landing_status |")
    return "\n".join(lines)

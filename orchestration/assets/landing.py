"""Landing assets: one per provider dataset, built by one factory around ``raw_store.land``."""

from collections import Counter

import dagster as dg

from orchestration.feeds.base import Dataset
from orchestration.partitions import DAILY, SINGLE_RUN, window_from_context
from orchestration.raw_store import land, raw_columns, raw_table, skip
from orchestration.resources import FeedTransportResource, WarehouseResource


def raw_asset_key(dataset: Dataset) -> dg.AssetKey:
    return dg.AssetKey(["raw", f"{dataset.provider.name}__{dataset.name}"])


def landing_asset(dataset: Dataset) -> dg.AssetsDefinition:
    """A daily-partitioned asset that lands ``dataset`` for the run's window into its raw table."""
    table = raw_table(dataset)

    @dg.asset(
        key=raw_asset_key(dataset),
        partitions_def=DAILY,
        backfill_policy=SINGLE_RUN,
        group_name="raw",
        kinds={"python", "duckdb"},
        description=f"{(type(dataset).__doc__ or '').strip()}\n\nLanded into `{table}`; payloads kept verbatim.",
        metadata={"table": table, "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, kind) for name, kind in raw_columns(dataset).items()])},
    )
    def _land(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
              feeds: FeedTransportResource) -> dg.MaterializeResult:
        window = window_from_context(context)
        skipped = dataset.provider.missing_key_reason() if feeds.is_live else None
        if skipped:
            # a paid aggregator without its key: recorded and reported, the other feeds and the marts go on
            with warehouse.connect() as con:
                skip(dataset, window, con, skipped)
            context.log.warning(skipped)
            return dg.MaterializeResult(metadata={"window": str(window), "feed_status": "skipped",
                                                  "skipped_reason": skipped, "window_rows": 0})
        client = feeds.client(dataset.provider)
        with warehouse.connect() as con:
            # One feed failing must not stop the others: the failure is recorded per day in
            # raw._landing_status, the raw gate reports it, the mart's completeness shows it.
            result = land(dataset, window, client, warehouse.raw_dir, con, feeds.now(), raise_on_error=False)
        error = str(result.error) if result.error else None
        if error:
            context.log.error(error)
        statuses = Counter(status for status, _ in result.statuses.values())
        context.log.info(f"{table}: {result.rows} rows from {result.pages} payload(s) for {window}; "
                         f"days by status {dict(statuses)}")
        # A range run records this one result against every partition in it (Dagster has no per-partition
        # results in a single-run backfill): a row count is per partition only when the window is one day.
        rows = {"dagster/row_count": result.rows} if window.start == window.end else {"window_rows": result.rows}
        return dg.MaterializeResult(metadata={
            **rows,
            "window": str(window),
            "feed_status": "failed" if error else "ok",
            **({"error": error} if error else {}),
            **{f"days_{status}": n for status, n in sorted(statuses.items())},
            "pages": result.pages,
            "payload_bytes": result.payload_bytes,
        })

    return _land

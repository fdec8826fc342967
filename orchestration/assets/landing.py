"""Landing assets: one per provider dataset, built by one factory around ``raw_store.land``."""

import dagster as dg

from orchestration.feeds.base import Dataset
from orchestration.partitions import DAILY, SINGLE_RUN, window_from_context
from orchestration.raw_store import land, raw_columns, raw_table
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
        client = feeds.client(dataset.provider)
        with warehouse.connect() as con:
            result = land(dataset, window, client, warehouse.raw_dir, con, feeds.now())
        context.log.info(f"{table}: {result.rows} rows from {result.pages} payload(s) for {window}")
        return dg.MaterializeResult(metadata={
            "dagster/row_count": result.rows,
            "window": str(window),
            "pages": result.pages,
            "payload_bytes": result.payload_bytes,
            "payload_dir": dg.MetadataValue.path(str(result.payload_dir)),
            "min_rows_per_day": min(result.rows_per_day.values()),
            "max_rows_per_day": max(result.rows_per_day.values()),
        })

    return _land

"""Publishing: a mart that passed its gates becomes the snapshot BI tools read.

The asset runs only after the mart's blocking checks (dbt tests and the Great Expectations gate) pass in
the same run; a failed run never reaches it, so the previous snapshot stays in place.
"""

import dagster as dg

from orchestration.build_state import project_fingerprint, record_publish
from orchestration.config import DBT_PROJECT_DIR
from orchestration.partitions import run_window
from orchestration.resources import WarehouseResource

# the verdict; the evidence on whether the rule was worth following (models/marts/cascades); and what a BI
# user charts beside it: OI and funding by venue, liquidations, the aggregator cross-checks, ETF flows (total
# and by fund), BTC on exchanges, and each feed's outcome per day. Each is gated (expectations/<table>.json).
PUBLISHED_MARTS = ("leverage_condition", "documented_cascades", "deleveraging_events", "cascade_event_study",
                   "cascade_condition_lift", "sizing_backtest", "sizing_backtest_daily",
                   "venue_daily", "int_liquidations__daily", "int_derivatives__aggregator_check",
                   "int_etf_flows__reconciled", "int_etf_flows__by_issuer",
                   "int_onchain__exchange_balance_reconciled", "landing_status")
# tables whose emptiness is an answer, not a failure of their gate: no event in a short span; no ETF flow
# before the first US spot bitcoin ETF day (2024-01-11); no liquidations where both aggregators that serve
# them were skipped (a live run without their keys: the mart's liquidation columns are null, sources_present
# says so)
MAY_BE_EMPTY = ("deleveraging_events", "cascade_event_study", "int_etf_flows__reconciled",
                "int_etf_flows__by_issuer", "int_liquidations__daily")


@dg.asset(
    key=["published", "marts"],
    deps=[dg.AssetKey(name) for name in PUBLISHED_MARTS],
    group_name="published",
    kinds={"duckdb", "parquet"},
    description="Atomic snapshot of the gated marts: `published/marts.duckdb` plus one Parquet file per mart.",
)
def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.publish import publish_marts

    info = publish_marts(warehouse.duckdb_path, warehouse.published_dir, list(PUBLISHED_MARTS))
    window = run_window(context)
    with warehouse.connect() as con:  # what the next marts run need not rebuild (orchestration.build_state)
        record_publish(con, window, project_fingerprint(DBT_PROJECT_DIR))
    context.log.info(f"published {list(PUBLISHED_MARTS)} to {warehouse.published_dir}")
    return dg.MaterializeResult(metadata={"published_dir": str(warehouse.published_dir),
                                          **{k: v for k, v in _flat(info).items()}})


def _flat(info: dict, prefix: str = "") -> dict:
    out: dict = {}
    for key, value in info.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name}."))
        elif isinstance(value, (str, int, float, bool)) or value is None:
            out[name] = value
        else:
            out[name] = str(value)
    return out

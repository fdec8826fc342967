"""The report a person opens: ``published/report.html``, rebuilt from the snapshot each time it is published.

It reads only the published (gated) snapshot, so it runs after ``published/marts`` and never sees a table
that failed its gate; it is written atomically, so a reader never opens half a page.
"""
import dagster as dg

from orchestration.resources import WarehouseResource


@dg.asset(
    key=["published", "report"],
    deps=[dg.AssetKey(["published", "marts"])],
    group_name="published",
    kinds={"html"},
    description="`published/report.html`: today's brief in sentences, the charts a derivatives trader reads, "
                "the event study and backtest, data quality; one self-contained file that opens offline.",
)
def published_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.report.build import build_report

    report = build_report(warehouse.published_dir)
    context.log.info(f"report {report.path}: {report.bytes / 1e6:.2f} MB, {report.charts} charts"
                     + (f"; sections saying what is absent: {', '.join(report.absent)}" if report.absent else ""))
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(report.path)),
        "bytes": report.bytes,
        "charts": report.charts,
        "as_of": report.as_of,
        "absent": ", ".join(report.absent) or "none",
    })

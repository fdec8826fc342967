"""Command line: ``run`` lands every feed for a window in one run, then builds the marts in a second; ``verdict`` prints the latest days.

``make run`` is ``python -m orchestration.cli run``: land every feed on the sample world (or live), build
and gate the marts, publish, then print the verdict table from the published snapshot.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

from orchestration import gc_settings
from orchestration.config import REPORT_FILE, ConfigError, settings
from orchestration.days import Window

VERDICT_COLUMNS = {
    "date": "date",
    "price_close_usd": "price",
    "oi_usd_total": "OI $bn",
    "crypto_native_share_of_oi": "native %",
    "funding_8h_oi_weighted": "fund %/8h",
    "funding_p90_trailing_365d": "P90 %/8h",
    "funding_hours_above_p90": "h>P90",
    "oi_at_local_high": "OI high",
    "liq_long_usd": "liq $m",
    "liq_cluster_share_of_oi": "clust %OI",
    "liq_clusters_dense": "dense",
    "etf_net_flow_5d_usd": "ETF 5d $m",
    "stablecoin_supply_change_7d": "stable 7d %",
    "exchange_balance_change_7d": "exch 7d %",
    "conditions_met": "conds",
    "regime": "regime",
    "position_size_multiplier": "mult",
    "data_completeness": "complete",
}


def _shown(values, scale: float, spec: str):
    """``values`` scaled and formatted; blank where null (a figure not known yet, or a source missing)."""
    return (values * scale).map(lambda v: "" if v != v else format(v, spec))


def verdict_table(published_dir: Path, days: int = 10) -> str:
    """The latest ``days`` rows of the published mart as a readable table (about 150 columns)."""
    import duckdb

    path = published_dir / "marts.duckdb"
    if not path.exists():
        raise FileNotFoundError(f"no published snapshot at {path}: run `make run` first")
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = ", ".join("liq_long_usd + liq_short_usd AS liq_long_usd" if c == "liq_long_usd" else c
                            for c in VERDICT_COLUMNS)
        frame = con.execute(f"SELECT {columns} FROM leverage_condition ORDER BY date DESC LIMIT ?",
                            [days]).df().iloc[::-1]
    finally:
        con.close()
    for column, scale, spec in (("price_close_usd", 1, ",.0f"), ("oi_usd_total", 1e-9, ",.2f"),
                                ("funding_8h_oi_weighted", 100, ".4f"), ("funding_p90_trailing_365d", 100, ".4f"),
                                ("position_size_multiplier", 1, ".2f"), ("liq_long_usd", 1e-6, ",.0f"),
                                ("liq_cluster_share_of_oi", 100, ".1f"), ("crypto_native_share_of_oi", 100, ".0f"),
                                ("etf_net_flow_5d_usd", 1e-6, ",.0f"), ("stablecoin_supply_change_7d", 100, ".2f"),
                                ("exchange_balance_change_7d", 100, ".2f"), ("data_completeness", 100, ".0f")):
        frame[column] = _shown(frame[column].astype(float), scale, spec)
    frame["data_completeness"] = frame["data_completeness"].map(lambda v: v and f"{v}%")
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    # a condition that cannot be evaluated yet (short history) shows blank, not <NA>
    return frame.astype(object).where(frame.notna(), "").rename(columns=VERDICT_COLUMNS).to_string(index=False)


class RefreshResult:
    """The landing run and (when the landing succeeded) the marts run of one refresh, read as one."""

    def __init__(self, runs: list):
        self.runs = runs

    @property
    def success(self) -> bool:
        return len(self.runs) == 2 and all(r.success for r in self.runs)

    @property
    def all_events(self) -> list:
        return [event for r in self.runs for event in r.all_events]

    def get_asset_materialization_events(self) -> list:
        return [event for r in self.runs for event in r.get_asset_materialization_events()]

    def get_asset_check_evaluations(self) -> list:
        return [evaluation for r in self.runs for evaluation in r.get_asset_check_evaluations()]


def _warehouse_file(defs) -> Path:
    """The DuckDB file of ``defs``' warehouse resource (its EnvVar resolved, as Dagster does at run time)."""
    import dagster as dg

    from orchestration.resources import WarehouseResource

    folder = defs.resources["warehouse"].warehouse_dir
    return WarehouseResource(warehouse_dir=folder.get_value() if isinstance(folder, dg.EnvVar) else folder).duckdb_path


def run(window: Window, defs=None, instance=None, log_path: Path | None = None, reland: bool = False) -> RefreshResult:
    """Land every feed for ``window`` in one run, then build, gate and publish the marts over it in a second
    (what the schedule and the marts sensor do, in process). With ``log_path`` the terminal shows only the
    progress lines (``orchestration.progress``) and every event, dbt's output included, goes to that file."""
    import dagster as dg

    from orchestration.definitions import LAND_JOB, MARTS_JOB, build_defs
    from orchestration.partitions import RELAND_TAG, range_tags, window_tags
    from orchestration.resources import kept_open

    defs = defs or build_defs()
    run_config = None
    quiet = contextlib.nullcontext()
    if log_path is not None:
        from orchestration import progress

        defs = dg.Definitions.merge(defs, dg.Definitions(loggers=progress.loggers(sys.stdout)))
        run_config = progress.run_config(log_path)
        quiet = _stdout_to(log_path)
    if instance is None:
        instance = dg.DagsterInstance.get() if _has_dagster_home() else dg.DagsterInstance.ephemeral()
    with quiet:
        with kept_open(_warehouse_file(defs)):  # nothing else opens the file while the feeds land
            runs = [defs.resolve_job_def(LAND_JOB).execute_in_process(
                instance=instance, tags={**range_tags(window), **({RELAND_TAG: "all"} if reland else {})},
                raise_on_error=False, run_config=run_config)]
        if runs[0].success:
            runs.append(defs.resolve_job_def(MARTS_JOB).execute_in_process(
                instance=instance, tags=window_tags(window), raise_on_error=False, run_config=run_config))
    result = RefreshResult(runs)
    if log_path is None:  # with a log file the progress view has said what failed
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                print(f"FAILED {event.step_key}: {error.message.strip() if error else ''}", file=sys.stderr)
    return result


def _stdout_to(log_path: Path):
    """Send what libraries print (dbt's output, through dagster-dbt) and what they log through Python's
    logging (the HTTP client's retries, urllib3) to the log file, not the terminal; the progress handler
    already holds the real stdout."""
    import logging

    handle = log_path.open("a", encoding="utf-8", buffering=1)
    stack = contextlib.ExitStack()
    stack.enter_context(handle)
    stack.enter_context(contextlib.redirect_stdout(handle))
    handler = logging.StreamHandler(handle)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)  # with a handler there, nothing falls back to stderr
    stack.callback(logging.getLogger().removeHandler, handler)
    return stack


def log_file(warehouse_dir: Path) -> Path:
    """Where a ``make run`` writes Dagster's full event log: ``warehouse/logs/run-<UTC stamp>.log``."""
    from datetime import datetime, timezone

    folder = warehouse_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"run-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.log"


def _quiet_framework_warnings() -> None:
    """Dagster's beta/preview notices are about our own API use, not the run: keep them off the terminal."""
    import warnings

    from dagster import BetaWarning, PreviewWarning

    warnings.filterwarnings("ignore", category=BetaWarning)
    warnings.filterwarnings("ignore", category=PreviewWarning)


def _has_dagster_home() -> bool:
    return bool(os.environ.get("DAGSTER_HOME"))


CONDITION_LABELS = {
    "oi_at_local_high": "OI at its 90-day high",
    "funding_sustained_above_p90": "funding above P90 for 24 h+",
    "liq_clusters_dense": "dense liquidation clusters",
    "all_three": "all three (multiplier 0.5)",
    "regime_elevated_or_above": "regime elevated or above",
}


def evidence_table(published_dir: Path) -> str:
    """Whether the rule was worth following, in a few lines: each condition's base rate, the events it
    preceded and its lift (cascade_condition_lift), and the backtest's trade-off (sizing_backtest)."""
    import duckdb

    con = duckdb.connect(str(published_dir / "marts.duckdb"), read_only=True)
    try:
        lift = con.execute("SELECT condition, base_rate, events, events_preceded, lift, days_held, "
                           "days_held_not_followed FROM cascade_condition_lift WHERE event_set = 'any'").fetchall()
        kinds = dict(con.execute("SELECT event_kind, count(*) FROM cascade_event_study GROUP BY 1").fetchall())
        backtest = con.execute("SELECT base_leverage, trade_off FROM sizing_backtest "
                               "WHERE period_kind = 'all'").fetchone()
    finally:
        con.close()
    by_condition = {row[0]: row[1:] for row in lift}
    lines = [f"Is the rule worth following? {kinds.get('documented', 0)} documented cascades in the span and "
             f"{kinds.get('detected', 0)} more the data flags (published/cascade_event_study.parquet):",
             f"  {'condition':<30} {'held on':>8}  {'preceded':>11}  {'lift':>5}  days held with no event in 7 days"]
    for name, label in CONDITION_LABELS.items():
        base, events, preceded, lift_value, held, not_followed = by_condition.get(name, (None,) * 6)
        rate = "" if base is None else f"{base:.1%}"
        lift_text = "" if lift_value is None else f"{lift_value:.2f}"
        lines.append(f"  {label:<30} {rate:>8}  {f'{preceded} of {events}':>11}  {lift_text:>5}  "
                     f"{not_followed} of {held}")
    if backtest:
        lines.append(f"  backtest, {backtest[0]:g}x long against constant size: {backtest[1]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    gc_settings.for_batch_runs()
    parser = argparse.ArgumentParser(prog="leverage-condition", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="materialize every asset for the window, then print the verdict")
    run_p.add_argument("--start", help="first day, YYYY-MM-DD (default LC_START_DATE)")
    run_p.add_argument("--end", help="last day, YYYY-MM-DD (default LC_END_DATE / the latest complete UTC day)")
    run_p.add_argument("--days", default="10", help="rows of the verdict table")
    run_p.add_argument("--reland", action="store_true",
                       help="re-land settled days too (days landed long after they ended are skipped otherwise)")
    verdict_p = sub.add_parser("verdict", help="print the latest days of the published mart")
    verdict_p.add_argument("--days", default="10")
    sub.add_parser("report", help="rebuild published/report.html from the current published snapshot")
    args = parser.parse_args(argv)

    # every setting is checked before anything runs (and before Dagster is imported): one line, exit 2
    try:
        config = settings(start=("--start", args.start) if getattr(args, "start", None) else None,
                          end=("--end", args.end) if getattr(args, "end", None) else None)
        days = verdict_days(getattr(args, "days", "10"))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "report":
        return report(config.published_dir)
    if args.command == "run":
        window = config.window
        print(f"leverage-condition: mode={config.mode} window={window} warehouse={config.warehouse_dir}",
              flush=True)
        started = time.monotonic()
        _quiet_framework_warnings()
        log_path = log_file(config.warehouse_dir)
        print(f"full event log: {log_path}", flush=True)
        ok = run(window, log_path=log_path, reland=args.reland).success
        print(f"run {'succeeded' if ok else 'FAILED'} in {time.monotonic() - started:.1f} s")
        if not ok:
            print(f"the published snapshot (if any) was left as it was; what failed is above, every event in "
                  f"{log_path}", file=sys.stderr)
            return 1
    try:
        print(verdict_table(config.published_dir, days))
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(evidence_table(config.published_dir))
    print(report_line(config.published_dir))
    return 0


def report(published_dir: Path) -> int:
    """``make report``: the page again from the snapshot as it is now (no run), its path on stdout."""
    from orchestration.report.build import build_report

    try:
        built = build_report(published_dir)
    except (FileNotFoundError, ValueError) as error:
        print(f"report not built: {error}", file=sys.stderr)
        return 1
    print(f"{built.path}  ({built.bytes / 1e6:.2f} MB, {built.charts} charts, as of {built.as_of})")
    return 0


def verdict_days(text: str) -> int:
    """``--days``: how many rows the verdict table shows."""
    if not text.strip().isdigit() or int(text) < 1:
        raise ConfigError("--days", text, "is not a number of days", "the verdict table shows 1 day or more",
                          "use e.g. --days 10")
    return int(text)


def report_line(published_dir: Path) -> str:
    """Where the report is, or that it was not written (the report asset writes it beside the snapshot)."""
    report = published_dir / REPORT_FILE
    if report.exists():
        return f"report (open in a browser, works offline): {report}"
    return f"report: not written (no {report})"


def exit_now(code: int) -> None:
    """End the process once the command is done: flush, run the exit handlers (logging, Dagster's temporary
    folders), then leave without the interpreter's teardown, which for the ~500k objects Dagster, dbt's
    client, Great Expectations and pandas leave behind is a garbage collection of ~1.2 s after the last line
    was printed. Every file and DuckDB connection is closed by then (the warehouse's are closed per step)."""
    import atexit

    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())

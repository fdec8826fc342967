"""``make bench``: what a person waits for, measured the way they run it, against start-up.

Each figure is a fresh process (``python -m orchestration.cli run ...``, as ``make run`` starts it), timed
wall-clock, with the peak resident memory of its whole process tree (Python and dbt) sampled from /proc:

- start-up: importing the definitions plus a full ``dbt parse``, each the median of three runs (what every run
  pays before it does anything; the ratios below are to it, because absolute times on shared machines vary
  1.5-2x from day to day); a ``dbt build`` on empty raw tables is shown beside it (the cost of the graph
  itself, with no data);
- full history into a fresh warehouse (every feed), its re-run (nothing changed), the daily refresh on it;
- the same on a warehouse holding only 60 days: the full/60-day and daily(6 y)/daily(60 d) ratios show
  whether cost grows with history;
- reading the latest 90 days from the published snapshot, read-only, as a BI tool does.

Speed is measured here, never asserted in tests. Prints every figure with its ratio to start-up and its
goal, and writes them to ``warehouse/bench.json``.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"  # recorded mode's default folder; its figure is skipped without it
PAGE = os.sysconf("SC_PAGE_SIZE")

#: figure -> its goal (an upper bound): timings as multiples of start-up (``x``), memory in MiB, the rest as is
GOALS = {
    "full_history_s": (6.0, "x"),
    "daily_refresh_s": (2.5, "x"),
    "full_history_peak_rss_mb": (1536.0, "MiB"),
    "peak_rss_mb": (1536.0, "MiB"),
    "daily_6y_over_60d": (1.2, ""),
    "rerun_over_daily": (1.0, ""),
    "full_over_60d": (3.0, ""),
    "read_90_days_ms": (50.0, "ms"),
}


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _tree_rss_mb(pid: int) -> float:
    tree, todo, total = _children(), [pid], 0
    while todo:
        current = todo.pop()
        todo.extend(tree.get(current, []))
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            pass
    return total / 2**20


def measure(args: list[str], env: dict[str, str], log: Path) -> dict:
    """Wall time, exit code and peak tree RSS of one command (its output goes to ``log``)."""
    started = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        peak = 0.0
        while process.poll() is None:
            peak = max(peak, _tree_rss_mb(process.pid))
            time.sleep(0.1)
    return {"s": round(time.perf_counter() - started, 2), "peak_rss_mb": round(peak, 1), "exit": process.returncode}


def measure_median(args: list[str], env: dict[str, str], log: Path, times: int = 3) -> dict:
    """:func:`measure` ``times`` times: the median time (start-up is the unit of every ratio, and one run of a
    few seconds moves with the machine's load more than the long figures do), the highest peak."""
    runs = [measure(args, env, log) for _ in range(times)]
    middle = sorted(runs, key=lambda r: r["s"])[times // 2]
    return {**middle, "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "exit": next((r["exit"] for r in runs if r["exit"] != 0), 0)}


def _cli(*extra: str) -> list[str]:
    return [sys.executable, "-m", "orchestration.cli", "run", "--days", "1", *extra]


def _empty_warehouse(path: Path) -> None:
    """Every raw table the models read, empty (the floor of a dbt build: no data to compute)."""
    import duckdb

    from orchestration.definitions import datasets
    from orchestration.raw_store import create_raw_tables

    with duckdb.connect(str(path)) as con:
        create_raw_tables(con, datasets())


def read_latest_days_ms(published: Path, days: int = 90, repeat: int = 7) -> float:
    """Median time to open the published snapshot read-only and read its latest ``days`` rows."""
    import duckdb

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        con = duckdb.connect(str(published), read_only=True)
        rows = con.execute("select * from leverage_condition order by date desc limit ?", [days]).fetchall()
        con.close()
        times.append((time.perf_counter() - started) * 1000)
        assert len(rows) == days, len(rows)
    return round(statistics.median(times), 1)


def dbt_costs(target: Path, top: int = 8) -> dict:
    """Where the latest ``dbt build`` (its run results in the warehouse's dbt ``target``) spent its time:
    seconds per kind of node and the costliest nodes."""
    run_results = target / "run_results.json"
    if not run_results.exists():
        return {}
    results = json.loads(run_results.read_text())["results"]
    by_kind: dict[str, float] = {}
    for node in results:
        kind = node["unique_id"].split(".")[0]
        by_kind[kind] = round(by_kind.get(kind, 0.0) + node["execution_time"], 2)
    costliest = sorted(results, key=lambda node: -node["execution_time"])[:top]
    return {"seconds_by_kind": by_kind,
            "costliest": {node["unique_id"].split(".", 2)[-1]: round(node["execution_time"], 2) for node in costliest}}


def print_dbt_costs(target: Path) -> dict:
    costs = dbt_costs(target)
    for kind, seconds in costs.get("seconds_by_kind", {}).items():
        print(f"    dbt {kind + 's':<30} {seconds:7.1f} s (summed over threads)")
    for node, seconds in costs.get("costliest", {}).items():
        print(f"      {node[:60]:<60} {seconds:5.2f} s")
    return costs


def main() -> int:
    import warnings

    warnings.filterwarnings("ignore")  # Dagster's beta notices on importing the definitions here
    from orchestration.assets.dbt import DBT_PROJECT, dbt_executable
    from orchestration.config import latest_complete_day
    from orchestration.resources import WarehouseResource

    latest = latest_complete_day()
    daily = ["--start", (latest - timedelta(days=7)).isoformat(), "--end", latest.isoformat()]
    sixty = ["--start", (latest - timedelta(days=59)).isoformat(), "--end", latest.isoformat()]
    report: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                               f"{round(os.sysconf('SC_PHYS_PAGES') * PAGE / 2**30)} GiB, Python {platform.python_version()}",
                    "date": date.today().isoformat()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        log = tmp_path / "bench.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith("LC_")} | {"PYTHONWARNINGS": "ignore"}

        def env(warehouse: str) -> dict[str, str]:
            return base | {"LC_WAREHOUSE_DIR": str(tmp_path / warehouse)}

        def step(name: str, result: dict) -> dict:
            print(f"  {name:<34} {result['s']:7.1f} s   peak {result['peak_rss_mb']:7.0f} MiB"
                  + ("" if result["exit"] == 0 else f"   EXIT {result['exit']} (see {log})"), flush=True)
            return result

        print("start-up (each the median of 3 runs):", flush=True)
        imports = step("import the definitions", measure_median(
            [sys.executable, "-c", "import orchestration.definitions"], base, log))
        db = tmp_path / "empty.duckdb"
        _empty_warehouse(db)
        dbt = [dbt_executable(), "--quiet", "--no-send-anonymous-usage-stats"]
        where = ["--project-dir", str(DBT_PROJECT.project_dir), "--profiles-dir", str(DBT_PROJECT.profiles_dir),
                 "--target-path", str(tmp_path / "target")]
        parse = step("dbt parse (full)", measure_median([*dbt, "parse", "--no-partial-parse", *where],
                                                        base | {"LC_DUCKDB_PATH": str(db)}, log))
        empty = step("dbt build, no data", measure([*dbt, "build", *where], base | {"LC_DUCKDB_PATH": str(db)}, log))
        startup = imports["s"] + parse["s"]
        print("six years of history:", flush=True)
        six_years = WarehouseResource(warehouse_dir=str(tmp_path / "six_years"))
        full = step("full history, fresh warehouse", measure(_cli(), env("six_years"), log))
        costs = print_dbt_costs(six_years.dbt_target)
        rerun = step("re-run of the complete window", measure(_cli(), env("six_years"), log))
        daily_6y = step("daily refresh (8 days)", measure(_cli(*daily), env("six_years"), log))
        daily_costs = print_dbt_costs(six_years.dbt_target)
        read_ms = read_latest_days_ms(six_years.published_dir / "marts.duckdb")
        print(f"  {'read latest 90 days (published)':<34} {read_ms:7.1f} ms", flush=True)
        print("sixty days of history:", flush=True)
        first_60 = step("60 days, fresh warehouse", measure(_cli(*sixty), env("sixty_days"), log))
        daily_60 = step("daily refresh (8 days)", measure(_cli(*daily), env("sixty_days"), log))
        print("real recorded history (LC_MODE=recorded), 2021-01-01..2025-09-08:", flush=True)
        recorded = {"LC_MODE": "recorded", "LC_START_DATE": "2021-01-01", "LC_END_DATE": "2025-09-08"}
        real = step("recorded full span, fresh warehouse", measure(_cli(), env("recorded") | recorded, log)) \
            if REALDATA.is_dir() else {"s": float("nan"), "peak_rss_mb": float("nan"), "exit": 0}
        failed = [r for r in (imports, parse, full, rerun, daily_6y, first_60, daily_60, real) if r["exit"] != 0]

    report |= {
        "startup_s": round(startup, 2), "import_definitions_s": imports["s"], "dbt_parse_s": parse["s"],
        "dbt_build_empty_s": empty["s"],
        "full_history_s": full["s"], "full_history_peak_rss_mb": full["peak_rss_mb"],
        "recorded_full_span_s": real["s"], "recorded_full_span_peak_rss_mb": real["peak_rss_mb"],
        "rerun_complete_window_s": rerun["s"], "daily_refresh_s": daily_6y["s"],
        "daily_refresh_60d_s": daily_60["s"], "sixty_days_s": first_60["s"], "read_90_days_ms": read_ms,
        "daily_6y_over_60d": round(daily_6y["s"] / daily_60["s"], 2),
        "rerun_over_daily": round(rerun["s"] / daily_6y["s"], 2),
        "full_over_60d": round(full["s"] / first_60["s"], 2),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in (full, rerun, daily_6y, first_60, daily_60)),
        "dbt_full_history": costs, "dbt_daily_refresh": daily_costs,
    }
    print("\nfigure                          value   x start-up   goal")
    for key in ("startup_s", "dbt_build_empty_s", "full_history_s", "full_history_peak_rss_mb", "rerun_complete_window_s",
                "daily_refresh_s", "daily_refresh_60d_s", "sixty_days_s", "daily_6y_over_60d", "rerun_over_daily",
                "full_over_60d", "read_90_days_ms", "recorded_full_span_s", "recorded_full_span_peak_rss_mb", "peak_rss_mb"):
        value = report[key]
        ratio = value / startup if key.endswith("_s") else None
        goal, unit = GOALS.get(key, (None, None))
        compared = ratio if unit == "x" else value
        verdict = "" if goal is None else f"<= {goal:g}{' ' + unit if unit else ''}  " \
                                          f"{'met' if compared <= goal else 'MISSED'}"
        print(f"  {key:<28} {value:9.2f} {'' if ratio is None else f'{ratio:8.2f}':>8}   {verdict}")
    report["x_startup"] = {key: round(report[key] / startup, 2) for key in report
                           if key.endswith("_s") and isinstance(report[key], float) and key != "startup_s"}
    out = ROOT / "warehouse" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nmachine: {report['machine']}\nwritten to {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

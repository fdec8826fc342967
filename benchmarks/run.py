"""``make bench``: time and memory of each stage over the default window, in a throwaway warehouse.

Speed is measured here, not asserted in tests. Reports: sample-world generation, import cost of the
code location, then one full refresh (the landing run and the marts run) with the wall time of each run
and each Dagster step, the events each run logged, and peak memory of this process and of its children (dbt).
"""
from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def main() -> int:
    report: dict = {}
    started = time.perf_counter()
    import orchestration.definitions  # noqa: F401  (dagster, dagster-dbt, the manifest)
    report["import_definitions_s"] = round(time.perf_counter() - started, 2)

    from orchestration.sample.world import sample_world

    started = time.perf_counter()
    world = sample_world()
    report["sample_world_s"] = round(time.perf_counter() - started, 2)
    report["sample_world_hours"] = len(world.hourly)

    import dagster as dg

    from orchestration.cli import run
    from orchestration.config import settings
    from orchestration.definitions import build_defs
    from orchestration.feeds.base import Window

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LC_WAREHOUSE_DIR"] = str(Path(tmp) / "warehouse")
        config = settings()
        window = Window(config.start_date, config.end_date)
        instance = dg.DagsterInstance.ephemeral()
        started = time.perf_counter()
        result = run(window, defs=build_defs(), instance=instance)
        report["full_run_s"] = round(time.perf_counter() - started, 2)
        report["window"] = str(window)
        report["success"] = result.success
        spans: dict[str, list[float]] = defaultdict(list)
        for job_run in result.runs:  # the landing run, then the marts run
            entries = instance.all_logs(job_run.run_id)
            for entry in entries:
                if entry.step_key and entry.dagster_event and entry.dagster_event.event_type_value in (
                        "STEP_START", "STEP_SUCCESS", "STEP_FAILURE"):
                    spans[entry.step_key].append(entry.timestamp)
            # first to last event of the run: execution; the rest of the wall time is run creation
            # (Dagster logging one planned event per asset per partition)
            report[f"run_{job_run.job_def.name}_s"] = round(entries[-1].timestamp - entries[0].timestamp, 2)
            report[f"events_{job_run.job_def.name}"] = len(entries)
        report["steps_s"] = {step: round(max(ts) - min(ts), 2) for step, ts in spans.items()}
        warehouse = Path(tmp) / "warehouse"
        report["warehouse_mb"] = round(sum(f.stat().st_size for f in warehouse.rglob("*") if f.is_file()) / 2**20, 1)
    report["peak_rss_mb"] = round(_peak_mb(resource.RUSAGE_SELF), 1)
    report["peak_rss_children_mb"] = round(_peak_mb(resource.RUSAGE_CHILDREN), 1)

    width = max(len(k) for k in report["steps_s"]) if report.get("steps_s") else 10
    for key, value in report.items():
        if key == "steps_s":
            for step, seconds in sorted(value.items(), key=lambda kv: -kv[1]):
                print(f"  step {step:<{width}} {seconds:8.2f} s")
        else:
            print(f"{key:<24} {value}")
    out = Path("warehouse") / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"written to {out}")
    return 0 if report["success"] else 1


if __name__ == "__main__":
    sys.exit(main())

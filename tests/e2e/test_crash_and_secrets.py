"""Crash safety and secrets, through the command a user runs (``python -m orchestration.cli run``).

Each run starts from a copy of the pipeline window (tests/e2e/conftest.py: 60 days already landed and
published), as the daily refresh does: the last days of the window are landed again, the marts rebuilt and
published. One uninterrupted run is the reference. It runs with a fake key for every keyed provider and a
persistent Dagster instance: afterwards no key may appear anywhere in the warehouse (DuckDB file, raw
payloads, published snapshot), in the run's output, or in Dagster's storage. Then the same run is killed
with SIGKILL at several points (while landing, while dbt builds, while publishing), each kill in the re-run
of the warehouse the previous kill left: each time the warehouse must still open, and the re-run after the
last kill must give exactly the reference mart (one chain of re-runs, not a full re-run per kill point).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from runs import PIPELINE_NOW as NOW  # tests/e2e is on the path
from runs import copy_warehouse

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WINDOW = ("2024-02-27", "2024-03-01")  # the last days of the pipeline window
FAKE_KEYS = {"COINGLASS_API_KEY": "cg-FAKE-7f3a9c1e5b", "COINALYZE_API_KEY": "ca-FAKE-2d8e4f6a0c",
             "CFTC_APP_TOKEN": "cftc-FAKE-9b1d3f5e7a", "GLASSNODE_API_KEY": "gn-FAKE-4c6e8a0b2d",
             "CRYPTOQUANT_API_KEY": "cq-FAKE-1a3c5e7f9b", "SOSOVALUE_API_KEY": "sv-FAKE-8d0f2b4c6e"}
MART = "SELECT * EXCLUDE (as_of) FROM leverage_condition ORDER BY date"


def _env(warehouse: Path, dagster_home: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in FAKE_KEYS and k != "DAGSTER_HOME"}
    env.update(LC_MODE="sample", LC_SAMPLE_NOW=NOW, LC_WAREHOUSE_DIR=str(warehouse), PYTHONUNBUFFERED="1")
    if dagster_home:
        env["DAGSTER_HOME"] = str(dagster_home)
    return env


def _command() -> list[str]:
    return [sys.executable, "-m", "orchestration.cli", "run", "--start", WINDOW[0], "--end", WINDOW[1]]


def _mart(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(warehouse / "published" / "marts.duckdb"), read_only=True)
    try:
        return con.execute(MART).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory, pipeline_window):
    """The uninterrupted run, with fake keys and a persistent Dagster instance."""
    root = tmp_path_factory.mktemp("reference")
    copy_warehouse(pipeline_window, root / "warehouse")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").touch()
    env = {**_env(root / "warehouse", home), **FAKE_KEYS}
    proc = subprocess.run(_command(), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root, proc.stdout + proc.stderr, _mart(root / "warehouse")


def test_no_key_reaches_the_warehouse_the_logs_or_dagster_storage(reference):
    root, output, mart = reference
    assert mart, "the reference run published nothing"
    for key in FAKE_KEYS.values():
        assert key not in output, "a key was printed"
        for path in root.rglob("*"):
            if path.is_file():
                assert key.encode() not in path.read_bytes(), f"{key[:6]}... found in {path}"


def _run_until(line_marker: str, warehouse: Path, delay: float) -> bool:
    """Start a run, SIGKILL it ``delay`` s after a line containing ``line_marker`` appears; True if killed.
    The whole process group is killed, as a job scheduler or an OOM kill of the job does: a dbt subprocess
    left running would otherwise keep DuckDB's lock until it finishes."""
    proc = subprocess.Popen(_command(), cwd=ROOT, env=_env(warehouse), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        for line in proc.stdout:
            if line_marker in line:
                time.sleep(delay)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                return proc.returncode == -signal.SIGKILL
        proc.wait(timeout=30)
        return False
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


KILLS = [("binance/funding", 0.5),  # landing Binance's OI: payloads half written
         ("dbt build ...", 3.0),    # dbt building the incremental models
         ("publishing ...", 0.0)]   # publishing the snapshot


def test_a_killed_run_leaves_a_warehouse_that_opens_and_a_rerun_gives_the_same_mart(reference, pipeline_window,
                                                                                    tmp_path):
    _, _, expected = reference
    warehouse = copy_warehouse(pipeline_window, tmp_path / "warehouse")
    for marker, delay in KILLS:
        assert _run_until(marker, warehouse, delay), f"the run ended before {marker!r}"
        con = duckdb.connect(str(warehouse / "leverage.duckdb"))  # opens (and replays its WAL) after the kill
        con.execute("SELECT count(*) FROM raw._landing_status").fetchall()
        con.close()
    proc = subprocess.run(_command(), cwd=ROOT, env=_env(warehouse), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert _mart(warehouse) == expected
    assert not list((warehouse / "published").glob("*.tmp-*"))  # a killed publish's leftovers are gone

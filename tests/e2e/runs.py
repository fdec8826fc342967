"""What the end-to-end modules share: one refresh of a window into a warehouse of its own, the windows several
modules read (built once per test session, whichever pytest-xdist worker asks first), and a read-only query."""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Callable

import dagster as dg
import duckdb
import pytest
from filelock import FileLock

from orchestration.cli import run
from orchestration.feeds.base import Window


# the sample window several modules read (tests/e2e/conftest.py builds it once per session): 103 days around
# the 2024-08-05 flush, so the 90-day OI history is there by 08-02
SAMPLE_NOW = "2024-08-16T00:30:00+00:00"
SAMPLE_WINDOW = Window(date(2024, 5, 5), date(2024, 8, 15))
# the pipeline window (tests/e2e/conftest.py, once per session): 60 days at the schedule's tick for 2024-03-01,
# the first spot ETF days included; the pipeline's scenarios, the OI-source hand-over and the plausibility
# re-checks each change a copy of it
PIPELINE_NOW = "2024-03-02T00:30:00+00:00"
PIPELINE_WINDOW = Window(date(2024, 1, 2), date(2024, 3, 1))  # the last 28 days come from Binance's OI API


def configure(monkeypatch: pytest.MonkeyPatch, warehouse: Path, now: str | None = PIPELINE_NOW,
              mode: str = "sample") -> None:
    """Point runs at ``warehouse`` in ``mode``, the sample world's clock pinned at ``now`` (None: unpinned)."""
    monkeypatch.setenv("LC_WAREHOUSE_DIR", str(warehouse))
    monkeypatch.setenv("LC_MODE", mode)
    if now:
        monkeypatch.setenv("LC_SAMPLE_NOW", now)
    else:
        monkeypatch.delenv("LC_SAMPLE_NOW", raising=False)


def run_window(warehouse: Path, window: Window, mode: str = "sample", now: str | None = None,
               recorded_dir: Path | None = None, **overrides):
    """Land and build ``window`` into ``warehouse`` in ``mode`` (the sample world pinned at ``now``, or recorded
    history from ``recorded_dir``), in an ephemeral Dagster instance; the environment is restored after."""
    with pytest.MonkeyPatch.context() as mp:
        configure(mp, warehouse, now, mode)
        if recorded_dir:
            mp.setenv("LC_RECORDED_DIR", str(recorded_dir))
        from orchestration.definitions import build_defs

        return run(window, defs=build_defs(overrides or None), instance=dg.DagsterInstance.ephemeral())


@dataclass(frozen=True)
class Built:
    """A window built once for the whole session: its warehouse (read it read-only, or change a copy) and what
    its run reported, kept as plain data so that every worker reads the same record."""

    warehouse: Path
    success: bool
    checks: dict[str, bool]  # asset check -> passed
    materialized: list[str]  # asset keys, in the order they were materialized

    @classmethod
    def of(cls, warehouse: Path, result) -> "Built":
        return cls(warehouse, result.success,
                   {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()},
                   [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()])


def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary directory every worker of this session shares (a worker's own base is one level down)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Built:
    """``build(warehouse)`` run once per session under ``name``, by the first worker that asks; the others wait
    on a file lock and read its record (a window costs a minute or two; one worker builds while the other
    runs tests of its own). A build that raised is not tried again by the next worker: it fails the same way."""
    root = session_dir(tmp_path_factory) / name
    record, error = root / "built.json", root / "error.txt"
    with FileLock(str(root) + ".lock"):
        if error.exists():
            pytest.fail(f"the shared build {name!r} failed in another worker:\n{error.read_text()}")
        if not record.exists():
            if root.exists():
                shutil.rmtree(root)  # a half-built leftover of an interrupted worker
            root.mkdir(parents=True)
            try:
                built = Built.of(root / "warehouse", build(root / "warehouse"))
            except BaseException as exc:
                error.write_text(f"{type(exc).__name__}: {exc}")
                raise
            tmp = record.with_suffix(".tmp")
            tmp.write_text(json.dumps({**asdict(built), "warehouse": str(built.warehouse)}))
            tmp.replace(record)
    data = json.loads(record.read_text())
    return Built(**{**data, "warehouse": Path(data["warehouse"])})


def copy_warehouse(built: Built, target: Path) -> Path:
    """A copy of a shared warehouse that a test may change (the shared one is read by other tests meanwhile)."""
    shutil.copytree(built.warehouse, target)
    return target


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()

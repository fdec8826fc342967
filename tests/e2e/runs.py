"""What the end-to-end modules share: one refresh of a window into a warehouse of its own, and a read-only query."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.cli import run
from orchestration.feeds.base import Window


# a sample window around the 2024-08-05 flush, its clock pinned: 103 days, the 90-day OI history is there by
# 08-02 (built once per session by the fixture ``built`` in conftest.py and read by several modules)
AUGUST_2024 = Window(date(2024, 5, 5), date(2024, 8, 15))
AUGUST_2024_NOW = "2024-08-16T00:30:00+00:00"


def run_window(warehouse: Path, window: Window, mode: str = "sample", now: str | None = None,
               recorded_dir: Path | None = None, **overrides):
    """Land and build ``window`` into ``warehouse`` in ``mode`` (the sample world pinned at ``now``, or recorded
    history from ``recorded_dir``), in an ephemeral Dagster instance; the environment is restored after."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LC_WAREHOUSE_DIR", str(warehouse))
        mp.setenv("LC_MODE", mode)
        if now:
            mp.setenv("LC_SAMPLE_NOW", now)
        else:
            mp.delenv("LC_SAMPLE_NOW", raising=False)
        if recorded_dir:
            mp.setenv("LC_RECORDED_DIR", str(recorded_dir))
        from orchestration.definitions import build_defs

        return run(window, defs=build_defs(overrides or None), instance=dg.DagsterInstance.ephemeral())


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()

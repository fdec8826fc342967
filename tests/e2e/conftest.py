"""The windows several end-to-end modules read, built once per session (a window costs a minute or two) by
whichever worker asks first; tests read them read-only or change a copy (runs.copy_warehouse)."""
from __future__ import annotations

import pytest

from orchestration.days import Window
from runs import (PIPELINE_NOW, PIPELINE_WINDOW, SAMPLE_NOW, SAMPLE_WINDOW, Built,  # tests/e2e is on the path
                  build_once, run_window)


def _sample_world_once(tmp_path_factory, name: str, window: Window, now: str) -> Built:
    built = build_once(tmp_path_factory, name, lambda warehouse: run_window(warehouse, window, now=now))
    assert built.success, f"the {name} run over {window} failed"
    return built


@pytest.fixture(scope="session")
def sample_window(tmp_path_factory) -> Built:
    """One refresh of SAMPLE_WINDOW on the sample world, published with its report."""
    return _sample_world_once(tmp_path_factory, "sample_window", SAMPLE_WINDOW, SAMPLE_NOW)


@pytest.fixture(scope="session")
def pipeline_window(tmp_path_factory) -> Built:
    """PIPELINE_WINDOW on the sample world in one run, as a backfill would land and build it."""
    return _sample_world_once(tmp_path_factory, "pipeline_window", PIPELINE_WINDOW, PIPELINE_NOW)

"""The windows several end-to-end modules read, built once per session (a window costs a minute or two) by
whichever worker asks first; tests read them read-only or change a copy (runs.copy_warehouse)."""
from __future__ import annotations

import pytest

from runs import (PIPELINE_NOW, PIPELINE_WINDOW, SAMPLE_NOW, SAMPLE_WINDOW, Built,  # tests/e2e is on the path
                  build_once, run_window)


@pytest.fixture(scope="session")
def sample_window(tmp_path_factory) -> Built:
    """One refresh of SAMPLE_WINDOW on the sample world, published with its report."""
    built = build_once(tmp_path_factory, "sample_window",
                       lambda warehouse: run_window(warehouse, SAMPLE_WINDOW, now=SAMPLE_NOW))
    assert built.success, "the sample window's run failed"
    return built


@pytest.fixture(scope="session")
def pipeline_window(tmp_path_factory) -> Built:
    """PIPELINE_WINDOW on the sample world in one run, as a backfill would land and build it."""
    built = build_once(tmp_path_factory, "pipeline_window",
                       lambda warehouse: run_window(warehouse, PIPELINE_WINDOW, now=PIPELINE_NOW))
    assert built.success, "the 60-day pipeline window's run failed"
    return built

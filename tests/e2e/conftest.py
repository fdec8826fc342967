"""The sample window several end-to-end modules read, built once per session (a window costs a minute or two)."""
from __future__ import annotations

import pytest

from runs import SAMPLE_NOW, SAMPLE_WINDOW, run_window  # tests/e2e is on the path


@pytest.fixture(scope="session")
def sample_window(tmp_path_factory):
    """(warehouse, result) of one refresh of SAMPLE_WINDOW on the sample world, published with its report."""
    warehouse = tmp_path_factory.mktemp("sample_window") / "warehouse"
    result = run_window(warehouse, SAMPLE_WINDOW, now=SAMPLE_NOW)
    assert result.success
    return warehouse, result

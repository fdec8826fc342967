"""Windows built once per session and read by several end-to-end modules."""
from __future__ import annotations

import pytest

from runs import AUGUST_2024, AUGUST_2024_NOW, run_window  # tests/e2e is on the path


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The sample window around the 2024-08-05 flush, landed, built, gated and published: (warehouse, result)."""
    warehouse = tmp_path_factory.mktemp("august_2024") / "warehouse"
    result = run_window(warehouse, AUGUST_2024, now=AUGUST_2024_NOW)
    assert result.success
    return warehouse, result

"""Every raw table's gate, for every provider dataset the definitions land: the suite is named after its
file and covers the raw table's columns, and what the connector lands from the sample world passes it.

The corruption cases are provider-specific and live beside each provider (``test_gates_<provider>.py``).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import duckdb
import pytest

from orchestration import gates
from orchestration.definitions import datasets
from orchestration.feeds.base import Window
from orchestration.feeds.http import FeedClient, RateLimiter
from orchestration.raw_store import land, raw_columns, raw_table
from orchestration.sample.transport import SampleTransport

DATASETS = {f"raw_{d.provider.name}__{d.name}": d for d in datasets()}
# the 00:30 tick after 2025-09-20: every provider serves that day (Deribit's closing OI snapshot included),
# and the window holds a CFTC Tuesday (09-16, out on Friday 09-19)
NOW = datetime(2025, 9, 21, 0, 30, tzinfo=timezone.utc)
WINDOW = Window(date(2025, 9, 10), date(2025, 9, 20))


@pytest.mark.parametrize("suite", DATASETS)
def test_suite_is_named_after_its_file_and_its_structure_is_the_datasets(suite):
    stored = json.loads(gates.suite_path(suite).read_text())
    assert stored["name"] == suite == raw_table(DATASETS[suite]).replace(".", "_")
    loaded = gates.load_suite(suite)
    assert [(e["type"], e["kwargs"]) for e in stored["expectations"]] == [
        (e["type"], e["kwargs"]) for e in loaded.to_json_dict()["expectations"]]
    structure = gates.structure_of(suite)  # the raw table's columns and nulls: the dataset's, not the suite's
    assert list(structure.columns) == list(raw_columns(DATASETS[suite]))
    assert set(structure.required) == set(structure.columns) - set(DATASETS[suite].nullable)
    assert {"partition_date", "payload_sha256"} <= set(structure.required)
    read = {e["kwargs"].get("column") for e in stored["expectations"]} - {None}
    assert {c for c in read if not gates.is_derived(c)} <= set(structure.columns)  # rules on columns it has
    assert any(e["type"] == "expect_table_row_count_to_be_between" for e in stored["expectations"])


@pytest.mark.parametrize("suite", DATASETS)
def test_a_landed_sample_window_passes_its_gate(suite, tmp_path):
    dataset = DATASETS[suite]
    client = FeedClient(dataset.provider, SampleTransport(now=NOW), rate_limiter=RateLimiter(0),
                        sleep=lambda s: None)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    result = land(dataset, WINDOW, client, tmp_path / "raw", con, NOW)
    assert result.error is None and result.rows > 0
    frame = con.execute(f"select * from {raw_table(dataset)}").df()
    assert list(frame.columns) == list(raw_columns(dataset))
    report = gates.validate(frame, suite)
    assert report.success, report.to_metadata()["failed_expectations"]

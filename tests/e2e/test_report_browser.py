"""End to end: the run writes ``published/report.html`` after the snapshot, and a real browser (Debian's headless
Chromium) opens it offline, every non-file request refused, with no console error and every chart drawn.

A screenshot of the whole page is left in ``warehouse/screenshots/report.png`` for a person to look at.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from browser import chromium_missing, open_report  # tests/e2e is on the path

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOT = PROJECT / "warehouse" / "screenshots" / "report.png"
# charts this window's snapshot draws: price, like-for-like OI, OI by venue (venue_daily), funding and its streak,
# liquidations, clusters, ETF flows, stablecoins, exchange balances, backtest equity and drawdown, cross-checks,
# completeness, sources present, feed landing (landing_status)
CHARTS = 16


def test_the_run_writes_the_report_after_the_snapshot(sample_window):
    warehouse, materialized = sample_window.warehouse, sample_window.materialized
    assert "published/report" in materialized
    assert materialized.index("published/report") > materialized.index("published/marts")
    assert (warehouse / "published" / "report.html").stat().st_size > 0


def test_a_browser_opens_the_report_offline_and_draws_every_chart(sample_window):
    why = chromium_missing()
    if why:
        pytest.skip(why)
    warehouse = sample_window.warehouse
    published = warehouse / "published"

    seen = open_report(published / "report.html", SCREENSHOT)

    assert seen.refused == []  # nothing beyond the file itself was needed
    assert seen.page_errors == [] and seen.console_errors == []
    assert seen.status["errors"] == []
    assert seen.containers == seen.rendered == seen.status["rendered"] == CHARTS
    assert seen.spans == ["last 365 days", "whole history", "last 180 days"]  # redrawn without an error
    assert SCREENSHOT.stat().st_size > 50_000  # a page with charts on it, not a blank

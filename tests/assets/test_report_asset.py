"""The report asset on a small hand-made snapshot: it reads only the snapshot, writes one self-contained page
atomically, and a table an older snapshot lacks becomes a section saying so, not a crash."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.assets.report import published_report
from orchestration.report.build import build_report
from orchestration.resources import WarehouseResource

DAYS = 40


def _mart() -> pd.DataFrame:
    days = [date(2024, 7, 1) + timedelta(days=i) for i in range(DAYS)]
    rise = np.linspace(0, 1, DAYS)
    cut = [i == DAYS - 1 for i in range(DAYS)]
    return pd.DataFrame({
        "date": days, "price_close_usd": 60000 + 1000 * rise, "oi_index_like_for_like": 9e9 + 1e9 * rise,
        "oi_usd_total": 10e9 + 1e9 * rise, "oi_at_local_high": [i > 30 for i in range(DAYS)],
        "oi_change_7d": 0.03, "funding_8h_oi_weighted": 0.0001 + 0.0002 * rise, "funding_p90_trailing_365d": 0.00015,
        "funding_hours_above_p90": [max(0, (i - 30) * 8) for i in range(DAYS)],
        "funding_sustained_above_p90": [i >= 33 for i in range(DAYS)],
        "liq_long_usd": 5e7, "liq_short_usd": 3e7, "liq_cluster_share_of_oi": 0.05 + 0.03 * rise,
        "liq_cluster_share_p90_trailing": 0.07, "liq_cluster_heatmap_usd_within_5pct": None,
        "liq_clusters_dense": [i > 35 for i in range(DAYS)], "etf_net_flow_usd": None, "etf_net_flow_5d_usd": None,
        "stablecoin_supply_usd": 1.6e11, "stablecoin_supply_change_7d": 0.0, "exchange_balance_change_7d": 0.0,
        "exchange_balance_status": "agreed", "oi_check_status": "agreed", "funding_check_status": "agreed",
        "liq_check_status": "single_source", "conditions_met": [3 if c else 1 for c in cut], "conditions_evaluated": 3,
        "leverage_condition_score": 50.0, "regime": ["deleveraging_precondition" if c else "neutral" for c in cut],
        "position_size_multiplier": [0.5 if c else 1.0 for c in cut],
        "confirmations": ["oi_at_local_high,funding_above_p90_24h,liq_clusters_dense" if c else "" for c in cut],
        "cancellations": "price_above_50d_ma", "sources_present": "binance,coinglass", "data_completeness": 0.9,
    })


@pytest.fixture()
def warehouse(tmp_path):
    """An older snapshot: the mart and the backtest, none of the newer tables (venues, checks, landing)."""
    published = tmp_path / "warehouse" / "published"
    published.mkdir(parents=True)
    mart = _mart()
    backtest = pd.DataFrame({"date": mart["date"], "rule_equity": 1.0, "constant_equity": 1.0,
                             "rule_drawdown": 0.0, "constant_drawdown": 0.0})
    con = duckdb.connect(str(published / "marts.duckdb"))
    con.execute("create table leverage_condition as select * from mart")
    con.execute("create table sizing_backtest_daily as select * from backtest")
    con.close()
    return WarehouseResource(warehouse_dir=str(tmp_path / "warehouse"))


def test_the_asset_writes_one_offline_page_from_the_snapshot(warehouse):
    # a context built outside a with block would leave its ephemeral Dagster instance as the thread's current
    # one after the instance is gone, failing whichever later test loads definitions in this process
    with dg.build_asset_context() as context:
        result = published_report(context, warehouse=warehouse)
    page = warehouse.published_dir / "report.html"
    assert result.metadata["charts"] == page.read_text().count('class="chart"') > 0
    assert result.metadata["bytes"] == page.stat().st_size
    html = page.read_text()
    # self-contained: no script or stylesheet fetched from anywhere, the libraries inlined
    assert not re.search(r"<(script|link)[^>]+(src|href)=", html)
    assert "window.vegaEmbed" in html and "@import" not in html and "fonts.googleapis" not in html
    # today's brief: the cut day with its three sentences
    assert "2024-08-09: CUT leveraged size" in html and "0.5x" in html
    assert "Leverage is crowded: OI at its 90-day high" in html
    assert "What confirms it" in html and "What cancels it" in html
    # sections of tables this snapshot lacks say so
    for table in ("venue_daily", "cascade_event_study", "int_derivatives__aggregator_check", "landing_status"):
        assert f"this snapshot has no {table} table" in html, table
    assert "Spot ETF flows: no day of this span has a figure." in html
    assert not list(warehouse.published_dir.glob(".report.html.*"))  # no temp file left behind


def test_every_chart_reads_a_dataset_the_page_carries(warehouse):
    report = build_report(warehouse.published_dir)
    html = report.path.read_text()
    data = json.loads(re.search(r"const REPORT_DATA=(\{.*?\});const REPORT_SPECS=", html).group(1))
    specs = json.loads(re.search(r"const REPORT_SPECS=(\{.*?\});</script>", html).group(1))
    assert len(specs) == report.charts
    assert len(data["daily"]["rows"]) == DAYS  # one shared day table, not one copy per chart
    names = set(re.findall(r'"data":\{"name":"(\w+)"\}', json.dumps(specs, separators=(",", ":"))))
    assert names and names <= set(data)


def test_no_snapshot_is_an_error_that_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="run `make run` first"):
        build_report(tmp_path / "nothing")

"""The verdict table ``make run`` prints: the liquidity columns, blanks where a figure is null, ~150 columns;
and the report's path after it."""
from __future__ import annotations

from datetime import date

import duckdb
import pytest

from orchestration.cli import report_line, verdict_table

DAY = {"price_close_usd": 64000.0, "oi_usd_total": 3.1e10, "crypto_native_share_of_oi": 0.8,
       "funding_8h_oi_weighted": 0.0001, "funding_p90_trailing_365d": 0.0002, "funding_hours_above_p90": 3,
       "oi_at_local_high": True, "liq_long_usd": 1.2e8, "liq_short_usd": 3.0e7, "liq_cluster_share_of_oi": 0.052,
       "liq_clusters_dense": False, "etf_net_flow_5d_usd": -1.2345e9, "stablecoin_supply_change_7d": 0.0123,
       "exchange_balance_change_7d": -0.0045, "conditions_met": 1, "regime": "elevated",
       "position_size_multiplier": 1.0, "data_completeness": 0.93}
TYPES = {"price_close_usd": "DOUBLE", "funding_hours_above_p90": "INTEGER", "oi_at_local_high": "BOOLEAN",
         "liq_clusters_dense": "BOOLEAN", "conditions_met": "INTEGER", "regime": "VARCHAR"}


@pytest.fixture
def published(tmp_path):
    con = duckdb.connect(str(tmp_path / "marts.duckdb"))
    columns = {"date": "DATE", **{name: TYPES.get(name, "DOUBLE") for name in DAY}}
    con.execute(f"CREATE TABLE leverage_condition ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    blank = {**DAY, "etf_net_flow_5d_usd": None, "stablecoin_supply_change_7d": None,
             "exchange_balance_change_7d": None, "funding_p90_trailing_365d": None}
    for day, values in ((date(2024, 8, 4), blank), (date(2024, 8, 5), DAY)):
        con.execute(f"INSERT INTO leverage_condition VALUES ({', '.join('?' * len(columns))})",
                    [day, *values.values()])
    con.close()
    return tmp_path


def test_liquidity_columns_in_their_units_and_blank_where_null(published):
    lines = verdict_table(published, days=5).splitlines()
    header = lines[0]
    for label in ("ETF 5d $m", "stable 7d %", "exch 7d %", "mult", "complete"):
        assert label in header
    assert max(map(len, lines)) <= 150
    latest = lines[-1].split()
    assert latest[0] == "2024-08-05" and "-1,234" in latest and "1.23" in latest and "-0.45" in latest
    assert "150" in latest and "93%" in latest  # liquidations long + short, $m
    earlier = lines[1]
    for label in ("ETF 5d $m", "stable 7d %", "exch 7d %"):  # right-aligned under its header, blank
        end = header.index(label) + len(label)
        assert earlier[end - 6:end].strip() == ""


def test_the_report_path_is_printed_when_written(tmp_path):
    assert report_line(tmp_path) == f"report: not written (no {tmp_path / 'report.html'})"
    (tmp_path / "report.html").write_text("<html></html>")
    assert report_line(tmp_path) == f"report (open in a browser, works offline): {tmp_path / 'report.html'}"

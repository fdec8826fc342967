"""The generic tolerance test (``expect_columns_close``: absolute + relative tolerance, a tolerated share of
failing rows) passes and fails where it should, run by dbt itself on a hand-made cross-check table.

The table has 40 days of two checks. OI: venues vs Coinalyze off by 1 % on 39 days and by 10 % on one
(2.5 % of days fail, under the 5 % tolerated): the test passes. Liquidations: off by 30 % on 8 of 40 days
(20 %, over the 10 % tolerated): the test fails and returns exactly those 8 rows. A row within
abs_tol + rel_tol x |b| (here 2 % off with a 3 % tolerance, or an absolute difference under abs_tol) passes.
"""
from __future__ import annotations

import json
import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = ROOT / "dbt_project"
DBT = ROOT / ".venv" / "bin" / "dbt"


def _rows() -> list[tuple]:
    out = []
    for i in range(40):
        day = date(2024, 3, 1) + timedelta(days=i)
        oi_off = 1.10 if i == 7 else 1.01
        liq_off = 1.30 if i % 5 == 0 else 1.02
        for metric, check, venue, agg, abs_tol, rel_tol in (
            ("oi", "oi_venues_vs_coinalyze", 40e9 * oi_off, 40e9, 5e7, 0.03),
            ("liquidations", "liquidations_coinglass_vs_coinalyze", 2e8 * liq_off, 2e8, 5e6, 0.15),
        ):
            status = "agreed" if abs(venue - agg) <= abs_tol + rel_tol * agg else "diverged"
            out.append((day, metric, check, venue, agg, venue - agg, (venue - agg) / agg, abs_tol, rel_tol,
                        status, "binance,bybit"))
    return out


def test_tolerance_test_passes_and_fails_where_it_should(tmp_path):
    db = tmp_path / "check.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create table main.int_derivatives__aggregator_check (date date, metric varchar, check_name varchar, "
                "venue_value double, aggregator_value double, difference double, relative_difference double, "
                "abs_tolerance double, rel_tolerance double, status varchar, venues_compared varchar)")
    con.executemany("insert into main.int_derivatives__aggregator_check values (?,?,?,?,?,?,?,?,?,?,?)", _rows())
    con.close()
    target = tmp_path / "target"
    env = {**os.environ, "LC_DUCKDB_PATH": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run([str(DBT), "test", "--select", "int_derivatives__aggregator_check", "--exclude",
                           "test_type:unit", "--store-failures", "--profiles-dir", str(DBT_PROJECT),
                           "--target-path", str(target)],
                          cwd=DBT_PROJECT, env=env, capture_output=True, text=True)
    results = {r["unique_id"].split(".")[2]: r for r in json.loads((target / "run_results.json").read_text())["results"]
               if r["unique_id"].startswith("test.")}  # not the on-run-start hooks
    assert results["oi_venue_sum_agrees_with_coinalyze_on_most_days"]["status"] == "pass", proc.stdout[-2000:]
    failed = results["liquidation_aggregators_agree_on_most_days"]
    assert failed["status"] == "fail" and failed["failures"] == 8, proc.stdout[-2000:]
    others = [name for name, r in results.items() if r["status"] != "pass"]
    assert others == ["liquidation_aggregators_agree_on_most_days"]  # structure tests pass on a sound table
    assert proc.returncode == 1

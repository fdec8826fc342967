"""An enforced dbt contract's not_null constraint fails the build, with no test node behind it.

Intermediate and mart models declare not_null as contract constraints (``constraints: [{type: not_null}]``),
which DuckDB enforces when dbt inserts the rows. Here a tiny warehouse holds the one Binance candle of a day,
with a null close, as if the raw gate had let it through. Building ``int_spot__daily`` must then fail on its
contracted ``price_close_usd`` (the day has no close), and the table must not exist afterwards: a null reaching a contracted column stops the build instead
of being published.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = ROOT / "dbt_project"
DBT = ROOT / ".venv" / "bin" / "dbt"

KLINES = ("symbol varchar, interval varchar, open_time timestamp, close_time timestamp, open double, high double, "
          "low double, close double, volume double, quote_volume double, trades bigint, taker_buy_base double, "
          "taker_buy_quote double, payload_sha256 varchar")


def test_a_null_in_a_contracted_not_null_column_fails_the_build(tmp_path):
    db = tmp_path / "contract.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema raw")
    con.execute(f"create table raw.binance__spot_klines ({KLINES})")
    con.execute("insert into raw.binance__spot_klines values ('BTCUSDT', '1h', '2024-03-01 23:00', "
                "'2024-03-01 23:59:59', 61200, 61600, 61000, null, 10, 612000, 100, 5, 306000, 'a')")
    con.close()
    target = tmp_path / "target"
    env = {**os.environ, "LC_DUCKDB_PATH": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run([str(DBT), "run", "--select", "stg_binance__spot_klines", "int_spot__daily",
                           "--profiles-dir", str(DBT_PROJECT), "--target-path", str(target)],
                          cwd=DBT_PROJECT, env=env, capture_output=True, text=True)
    results = {r["unique_id"].split(".")[-1]: r for r in json.loads((target / "run_results.json").read_text())["results"]}
    assert results["stg_binance__spot_klines"]["status"] == "success", proc.stdout[-2000:]
    failed = results["int_spot__daily"]
    assert failed["status"] == "error", proc.stdout[-2000:]
    assert "NOT NULL constraint failed" in failed["message"] and "price_close_usd" in failed["message"], failed["message"]
    assert proc.returncode == 1
    con = duckdb.connect(str(db), read_only=True)
    built = con.execute("select count(*) from information_schema.tables where table_name = 'int_spot__daily'").fetchone()
    assert built == (0,)

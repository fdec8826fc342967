"""The same dbt project on Apache Spark gives the same marts as on DuckDB (``make test-spark``; issue 20).

One sample-world window lands into a temporary warehouse and is built on DuckDB by the pipeline (``cli run``,
with ``LC_LAKE=on``: it also writes the Parquet lake); then the whole dbt project is built, with its data tests, on a local Spark
session reading that lake, over the same run window; then every published table is compared with Spark's table
of the same name, row by row on its key and column by column: strings, dates, timestamps, integers and booleans
exactly, floats within ``ABS_TOL + REL_TOL * |duckdb|``. The comparison is printed (run with ``-s``).

Not part of ``make test`` (it needs Java and pyspark, and minutes): collected only with ``--spark``
(tests/conftest.py).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.config import DBT_PROJECT_DIR, PROJECT_ROOT

pytestmark = pytest.mark.spark

START, END = "2024-07-01", "2024-08-15"  # includes the 2024-08-05 cascade
SAMPLE_NOW = "2024-08-16T00:30:00+00:00"
#: floats: |spark - duckdb| <= ABS_TOL + REL_TOL * |duckdb|. Spark folds the ordered sums in DuckDB's order, but
#: its avg, median interpolation and math functions (exp, ln, pow: Java's, not C's) may differ in the last bits
ABS_TOL, REL_TOL = 1e-9, 1e-9
FLOAT_TYPES = ("DOUBLE", "FLOAT", "DECIMAL")


def _run(cmd: list[str], env: dict[str, str], log: Path) -> float:
    began = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(cmd, env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        pytest.fail(f"{' '.join(cmd[1:4])} failed (exit {done.returncode}); the end of {log}:\n{tail}")
    return seconds


def _dbt_seconds(target: Path) -> float:
    return json.loads((target / "run_results.json").read_text())["elapsed_time"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("spark_vs_duckdb")
    env = {k: v for k, v in os.environ.items() if k not in ("LC_DBT_TARGET", "LC_DBT_RUN_WINDOW")}
    env.update(LC_MODE="sample", LC_SAMPLE_NOW=SAMPLE_NOW, LC_WAREHOUSE_DIR=str(warehouse), LC_LAKE="on",
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    run_seconds = _run([sys.executable, "-m", "orchestration.cli", "run", "--start", START, "--end", END], env,
                       warehouse / "duckdb-run.log")
    assert any((warehouse / "lake").glob("*/partition_date=*")), "the run wrote no Parquet lake (orchestration/lake.py)"
    with duckdb.connect(str(warehouse / "leverage.duckdb"), read_only=True) as con:
        (first, last), = con.sql("select start_date, end_date from meta.run_window").fetchall()
    spark_target = warehouse / "spark" / "dbt-target"
    env["LC_DBT_RUN_WINDOW"] = f"{first}..{last}"  # the window DuckDB's build had
    spark_seconds = _run([sys.executable, "-m", "orchestration.spark.dbt", "build", "--exclude",
                          "resource_type:unit_test", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
                          str(DBT_PROJECT_DIR), "--target-path", str(spark_target), "--log-path", str(spark_target)],
                         env, warehouse / "spark-build.log")
    duckdb_dbt, spark_dbt = _dbt_seconds(warehouse / "dbt-target"), _dbt_seconds(spark_target)
    print(f"\nwindow {first}..{last} (sample world): dbt build on DuckDB {duckdb_dbt:.1f} s (inside make run's "
          f"{run_seconds:.1f} s, landing included); on Spark {spark_dbt:.1f} s in dbt, {spark_seconds:.1f} s with "
          "the session's start-up and the lake's registration")
    return warehouse


def _keys(manifest: dict, name: str) -> list[str]:
    """A table's key: its primary key constraint, else the columns of its uniqueness test."""
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed") and n["name"] == name)
    for constraint in node.get("constraints", []):
        if constraint["type"] == "primary_key":
            return constraint["columns"]
    columns = [c for c, spec in node["columns"].items()
               if any(k["type"] == "primary_key" for k in spec.get("constraints", []))]
    if columns:
        return columns
    for test in manifest["nodes"].values():
        kwargs = test.get("test_metadata", {}).get("kwargs", {})
        if test["resource_type"] == "test" and test.get("attached_node") == node["unique_id"]:
            if test["test_metadata"]["name"] == "unique":
                return [kwargs["column_name"]]
            if test["test_metadata"]["name"] == "unique_combination_of_columns":
                return kwargs["columns"]
    raise AssertionError(f"{name}: no key (primary key constraint or uniqueness test) to compare rows on")


def compare(con: duckdb.DuckDBPyConnection, name: str, keys: list[str]) -> list[dict]:
    """Per column of the DuckDB table ``d`` vs the Spark table ``s`` (same name, views in ``con``), joined on
    ``keys``: rows compared, max |difference| (floats) and mismatching rows; plus a row for the keys themselves
    (rows on one side only)."""
    types = dict(con.sql("select column_name, column_type from (describe d)").fetchall())
    joined = " and ".join(f'd."{k}" is not distinct from s."{k}"' for k in keys)
    con.execute(f"create or replace temp view j as select {', '.join(f'd.{chr(34)}{c}{chr(34)} as {chr(34)}d_{c}{chr(34)}, s.{chr(34)}{c}{chr(34)} as {chr(34)}s_{c}{chr(34)}' for c in types)}, "
                f"d.\"{keys[0]}\" is not null as in_d, s.\"{keys[0]}\" is not null as in_s "
                f"from d full outer join s on {joined}")
    rows = []
    only = con.sql("select count(*) filter (where not in_s), count(*) filter (where not in_d), "
                   "count(*) filter (where in_d and in_s) from j").fetchall()[0]
    rows.append({"column": "(rows by " + ", ".join(keys) + ")", "compared": only[2], "max_abs_diff": None,
                 "mismatches": only[0] + only[1], "note": f"{only[0]} only on DuckDB, {only[1]} only on Spark"})
    for column, kind in types.items():
        d, s = f'"d_{column}"', f'"s_{column}"'
        if kind.startswith(FLOAT_TYPES):
            d, s = f"cast({d} as double)", f"cast({s} as double)"
            differs = (f"not (({d} is null and {s} is null) or (isnan({d}) and isnan({s})) or "
                       f"abs({s} - {d}) <= {ABS_TOL} + {REL_TOL} * abs({d}))")
            diff = f"max(abs({s} - {d}))"
        else:
            if kind.startswith("TIMESTAMP"):  # Spark's Parquet timestamps read back as UTC instants
                d, s = f"cast({d} as timestamp)", f"cast(timezone('UTC', cast({s} as timestamptz)) as timestamp)" \
                    if "WITH TIME ZONE" in kind else f"cast({s} as timestamp)"
            differs, diff = f"{d} is distinct from cast({s} as {kind})", "null"
        compared, max_diff, bad = con.sql(f"select count(*), {diff}, count(*) filter (where coalesce({differs}, true)) "
                                          "from j where in_d and in_s").fetchall()[0]
        rows.append({"column": column, "compared": compared, "max_abs_diff": max_diff, "mismatches": bad, "note": kind})
    return rows


def test_every_published_table_is_the_same_on_spark(built):
    manifest = json.loads((built / "dbt-target" / "manifest.json").read_text())
    tables = sorted(p.stem for p in (built / "published").glob("*.parquet"))
    assert "leverage_condition" in tables
    spark_tables = built / "spark" / "tables" / "main.db"
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    failures = []
    for name in tables:
        con.execute(f"create or replace view d as select * from read_parquet('{built / 'published' / name}.parquet')")
        con.execute(f"create or replace view s as select * from read_parquet('{spark_tables / name}/*.parquet')")
        report = compare(con, name, _keys(manifest, name))
        print(f"\n{name} (floats within {ABS_TOL:g} + {REL_TOL:g} x |value|)")
        print(f"  {'column':<42} {'rows':>6} {'max |diff|':>12} {'mismatches':>10}")
        for row in report:
            diff = "" if row["max_abs_diff"] is None else f"{row['max_abs_diff']:.3g}"
            print(f"  {row['column']:<42} {row['compared']:>6} {diff:>12} {row['mismatches']:>10}"
                  + (f"  {row['note']}" if row["column"].startswith("(") else ""))
            if row["mismatches"]:
                failures.append(f"{name}.{row['column']}: {row['mismatches']} mismatching rows")
    assert not failures, "Spark differs from DuckDB:\n" + "\n".join(failures)

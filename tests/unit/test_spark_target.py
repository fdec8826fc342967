"""The Spark target's declarations of the lake's raw tables (orchestration.spark), without Spark: every raw column's
type has a Spark type, and each table is declared over its lake folder, partitioned by the day in the path."""
from __future__ import annotations

from pathlib import Path

from orchestration.lake import lake_tables
from orchestration.spark import SPARK_TYPES, create_table_sql


def test_every_raw_table_and_column_type_is_declared():
    tables = lake_tables()
    assert "_landing_status" in tables and "binance__funding" in tables
    assert {t.upper() for columns in tables.values() for t in columns.values()} <= set(SPARK_TYPES)


def test_a_table_is_partitioned_by_the_day_in_its_folder_names():
    sql = create_table_sql("binance__funding", lake_tables()["binance__funding"], Path("/w/lake"))
    assert sql.startswith("create table raw.`binance__funding` (`symbol` string,")
    assert sql.count("`partition_date`") == 1 and "`partition_date` date) using parquet" in sql
    assert sql.endswith("partitioned by (partition_date) location '/w/lake/binance__funding'")


def test_with_the_spark_target_dagster_runs_dbt_in_a_spark_session_in_this_python(monkeypatch):
    import sys

    from orchestration.assets.dbt import dbt_resource

    monkeypatch.setenv("LC_DBT_TARGET", "spark")
    resource = dbt_resource()
    assert resource.dbt_executable == sys.executable
    assert resource.global_config_flags[:2] == ["-m", "orchestration.spark.dbt"]
    assert str(resource._cli_version).startswith("1.11")


def test_dbt_reads_the_warehouse_from_its_environment_and_spark_builds_without_a_window(monkeypatch, tmp_path):
    import os

    from orchestration.assets.dbt import _environ, dbt_environ
    from orchestration.resources import WarehouseResource

    warehouse = WarehouseResource(warehouse_dir=str(tmp_path))
    monkeypatch.delenv("LC_DBT_TARGET", raising=False)
    assert dbt_environ(warehouse) == {"LC_DUCKDB_PATH": str(warehouse.duckdb_path)}
    monkeypatch.setenv("LC_DBT_TARGET", "spark")
    values = dbt_environ(warehouse)
    assert values == {"LC_DUCKDB_PATH": str(warehouse.duckdb_path), "LC_WAREHOUSE_DIR": str(warehouse.root),
                      "LC_DBT_RUN_WINDOW": None}
    monkeypatch.setenv("LC_DBT_RUN_WINDOW", "2024-01-01..2024-01-02")
    monkeypatch.delenv("LC_DUCKDB_PATH", raising=False)
    with _environ(values):
        assert os.environ["LC_DUCKDB_PATH"] == str(warehouse.duckdb_path) and "LC_DBT_RUN_WINDOW" not in os.environ
    assert "LC_DUCKDB_PATH" not in os.environ and os.environ["LC_DBT_RUN_WINDOW"] == "2024-01-01..2024-01-02"

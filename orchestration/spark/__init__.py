"""Apache Spark as dbt's engine (``LC_DBT_TARGET=spark``): one local SparkSession that reads the raw layer from
the Parquet lake (``<warehouse>/lake``), and dbt run in the same process, so dbt-spark's ``method: session``
joins this session (it calls ``getOrCreate``) instead of opening one without our settings.

The session's settings live here, in one place (``profiles.yml``'s spark target names none but ANSI). Its
metastore (Derby) and the tables dbt writes are under ``<warehouse>/spark``. Run dbt on Spark with
``python -m orchestration.spark.dbt <dbt arguments>`` (``make test-spark``; Dagster's dbt step with
``LC_DBT_TARGET=spark``).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

#: DuckDB type of a raw column (orchestration.raw_store) -> Spark SQL type
SPARK_TYPES = {"VARCHAR": "string", "DOUBLE": "double", "BIGINT": "bigint", "INTEGER": "int", "DATE": "date",
               "TIMESTAMP": "timestamp", "BOOLEAN": "boolean"}


def spark_dir(warehouse_dir: Path) -> Path:
    """Spark's own files: the metastore (Derby) and the tables dbt builds."""
    return Path(warehouse_dir).resolve() / "spark"


def session_conf(warehouse_dir: Path) -> dict[str, str]:
    root = spark_dir(warehouse_dir)
    return {
        "spark.master": "local[2]",  # the 2 cores this is tuned on; a cluster is a profile change (README)
        "spark.app.name": "leverage-condition-dbt",
        # days and hours are UTC everywhere (the lake's timestamps are naive UTC, like DuckDB's)
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.extraJavaOptions": f"-Duser.timezone=UTC -Dderby.system.home={root}",
        # ANSI off, as DuckDB: x / 0 is null (the models guard divisions with nullif, but a null beats a failed
        # build for the rest); dbt-spark 1.11 forces it off for the session too (profiles.yml says so)
        "spark.sql.ansi.enabled": "false",
        "spark.sql.warehouse.dir": str(root / "tables"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true",
        # the lake's partitions are listed from its folders at query time (no MSCK REPAIR after each landing)
        "spark.sql.hive.manageFilesourcePartitions": "false",
        # ... listed by the driver itself: a Spark job per listing costs seconds on one machine
        "spark.sql.sources.parallelPartitionDiscovery.threshold": "1000000",
        # one machine, small data: few shuffle partitions, no UI
        "spark.sql.shuffle.partitions": "2",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.adaptive.enabled": "true",
        # standard Parquet timestamps (not the legacy INT96) in the tables dbt writes: other readers open them
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    }


def open_session(warehouse_dir: Path):
    """The SparkSession dbt joins (Hive support: dbt-spark's session method asks for it)."""
    from pyspark.sql import SparkSession

    spark_dir(warehouse_dir).mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in session_conf(warehouse_dir).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("FATAL")  # dbt reports a failed statement itself
    return spark


def create_table_sql(name: str, columns: dict[str, str], lake_dir: Path) -> str:
    # partition_date lives in the folder names (Hive layout), so it is declared last, as the partition column
    listed = [f"`{c}` {SPARK_TYPES[t.upper()]}" for c, t in columns.items() if c != "partition_date"]
    listed.append("`partition_date` date")
    return (f"create table raw.`{name}` ({', '.join(listed)}) using parquet partitioned by (partition_date) "
            f"location '{Path(lake_dir).resolve() / name}'")


def register_lake(spark, warehouse_dir: Path) -> list[str]:
    """(Re)declare every raw table over its folder of the warehouse's lake (external tables: the data stays
    where the landing wrote it; dropping one drops the declaration only). ~1 s; on a cluster, once."""
    from orchestration.lake import lake_dir, lake_tables

    lake = lake_dir(Path(warehouse_dir).resolve())
    spark.sql("create database if not exists raw")
    names = []
    # each table's columns from their Python owner, so an empty table (no partition yet) still has its schema
    for name, columns in lake_tables().items():
        (lake / name).mkdir(parents=True, exist_ok=True)  # a table not landed yet reads as empty
        spark.sql(f"drop table if exists raw.`{name}`")
        spark.sql(create_table_sql(name, columns, lake))
        names.append(name)
    return names


def write_run_window(spark, bounds: tuple[str, str] | None) -> None:
    """The run window as the one row of ``meta.run_window`` (None: no row, no bounds), as the orchestrator
    writes it into DuckDB (``orchestration.assets.dbt.run_window_sql``); the models read it at query time."""
    spark.sql("create database if not exists meta")
    spark.sql("drop table if exists meta.run_window")
    spark.sql("create table meta.run_window (start_date date, end_date date) using parquet")
    if bounds:
        start, end = (date.fromisoformat(b.strip()) for b in bounds)  # checked: they are written into SQL
        spark.sql(f"insert into meta.run_window values (date'{start}', date'{end}')")

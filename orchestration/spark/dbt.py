"""``python -m orchestration.spark.dbt <dbt arguments>``: dbt on Spark, in this process.

Opens the session (:func:`orchestration.spark.open_session`) over ``LC_WAREHOUSE_DIR``, declares the lake's raw
tables, writes the run window, then runs dbt's CLI in-process (dbtRunner), whose spark target
(``method: session``) joins that session. It stands in for the ``dbt`` executable: ``make test-spark``, and
Dagster's dbt resource with ``LC_DBT_TARGET=spark`` (``orchestration.assets.dbt.dbt_resource``).

The run window: ``LC_DBT_RUN_WINDOW=YYYY-MM-DD..YYYY-MM-DD`` becomes the one row of Spark's ``meta.run_window``
(what the orchestrator writes into DuckDB's before a build); unset, the row is empty: no bounds, a full build,
which is what Spark's incremental models need (they are tables rebuilt in full there, see
``macros/cross_db/materializations.sql``).
"""
from __future__ import annotations

import os
import sys

#: dbt commands that need no database
_OFFLINE = {"parse", "--version", "ls", "list", "clean", "deps", "--help"}


def main(argv: list[str]) -> int:
    from orchestration.config import ConfigError, warehouse_dir
    from orchestration.spark import open_session, register_lake, write_run_window

    try:
        warehouse = warehouse_dir()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    os.environ["LC_DBT_TARGET"] = "spark"  # profiles.yml picks its target from the same setting
    if not _OFFLINE & set(argv[:1]):
        spark = open_session(warehouse)
        register_lake(spark, warehouse)
        bounds = os.environ.get("LC_DBT_RUN_WINDOW", "").strip()
        write_run_window(spark, tuple(bounds.split("..")) if bounds else None)
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(argv)
    return 0 if result.success else (2 if result.exception else 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The dbt project as Dagster assets: staging -> intermediate -> marts, dbt tests as asset checks.

One ``dbt build`` per run covers the run's whole partition window (a backfill is one dbt call, never one
per day); the window reaches the models as the one row of ``meta.run_window`` (:func:`run_window_sql`), so
dbt's arguments never change between runs and its partial parsing holds. The dbt assets are
not partitioned themselves: their tables are incremental over the run's window (read from the run's tags,
see ``partitions.run_window``), and they run in their own unpartitioned job (``build_marts``), so a
six-year backfill logs one event per model, not one per model per day.
"""

import importlib.metadata
import os
import subprocess
import sys
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator, Mapping

import dagster as dg
from packaging import version
from dagster_dbt import (DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject,
                         dbt_assets)

from orchestration.build_state import project_fingerprint, published_with, rebuild_window
from orchestration.config import DBT_PROJECT_DIR, dbt_target
from orchestration.days import Window
from orchestration.partitions import run_window
from orchestration.resources import WarehouseResource

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
_SOURCES = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def dbt_executable() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


class DbtCoreCli(DbtCliResource):
    """dagster-dbt's dbt resource without two costs it pays on every ``cli`` call for features this project
    does not use (~3 s of a daily refresh): it runs ``dbt --version`` in a subprocess to tell dbt Core from
    the Fusion engine (the dbt here is dbt-core, installed beside this Python), and it builds a dbt adapter in
    this process to fetch row counts and column metadata, which the assets never ask for
    (``fetch_row_counts``, ``fetch_column_metadata``). Pinned by tests/assets/test_definitions.py."""

    @cached_property
    def _cli_version(self) -> version.Version:
        # the dbt beside this Python, or this Python running dbt on Spark (dbt_resource, LC_DBT_TARGET=spark)
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(importlib.metadata.version("dbt-core"))
        return DbtCliResource._cli_version.func(self)  # a dbt elsewhere: ask it

    def _initialize_dbt_core_adapter(self, args: Any) -> None:
        return None


def dbt_resource() -> DbtCoreCli:
    """dbt's own log file (``dbt.log`` in the warehouse's dbt target) at info level: every node, its timing and
    any error, not the text of each of the ~700 statements of a build, whose logging cost ~1 s a run (each
    node's SQL is in ``dbt-target/run``; set ``DBT_LOG_LEVEL_FILE=debug`` for the statements)."""
    flags = [] if "DBT_LOG_LEVEL_FILE" in os.environ else ["--log-level-file", "info"]
    if dbt_target() == "spark":
        # LC_DBT_TARGET=spark: this Python runs dbt in-process in a local Spark session (orchestration.spark.dbt)
        return DbtCoreCli(project_dir=DBT_PROJECT, profiles_dir=str(DBT_PROJECT.profiles_dir),
                          dbt_executable=sys.executable, global_config_flags=["-m", "orchestration.spark.dbt", *flags])
    return DbtCoreCli(project_dir=DBT_PROJECT, profiles_dir=str(DBT_PROJECT.profiles_dir),
                      dbt_executable=dbt_executable(), global_config_flags=flags)


def manifest_is_stale(project_dir: Path, manifest: Path) -> bool:
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for name in _SOURCES:
        path = project_dir / name
        files = path.rglob("*") if path.is_dir() else [path]
        if any(f.is_file() and f.stat().st_mtime > built for f in files):
            return True
    return False


def ensure_manifest(project: DbtProject = DBT_PROJECT) -> Path:
    """Parse the dbt project when its manifest is missing or older than its sources (~5 s, once)."""
    manifest = project.manifest_path
    if manifest_is_stale(Path(project.project_dir), manifest):
        env = {**os.environ, "LC_DUCKDB_PATH": os.environ.get("LC_DUCKDB_PATH", ":memory:"),
               "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        subprocess.run([dbt_executable(), "parse", "--quiet", "--project-dir", str(project.project_dir),
                        "--profiles-dir", str(project.profiles_dir), "--target-path", str(manifest.parent)],
                       check=True, env=env, cwd=project.project_dir)
    return manifest


RUN_WINDOW_TABLE = "meta.run_window"


def run_window_sql(window: Window | None) -> list[tuple[str, list]]:
    """Statements that make ``window`` the one row of ``meta.run_window`` (None: no bounds, a full build).

    The models read their window from this table at run time (``macros/window_filter.sql``), not from
    ``--vars``: a --vars that changes every run makes dbt re-parse the whole project."""
    bounds = [window.start.isoformat(), window.end.isoformat()] if window else [None, None]
    return [("create schema if not exists meta", []),
            (f"create or replace table {RUN_WINDOW_TABLE} (start_date date, end_date date)", []),
            (f"insert into {RUN_WINDOW_TABLE} values (cast(? as date), cast(? as date))", bounds)]


def dbt_build_args(project_changed: bool = True) -> list[str]:
    """The same arguments every run (the window is data, see :func:`run_window_sql`), so partial parsing holds.

    A pipeline build never runs the dbt unit tests: they prove the models' SQL on fixed inputs, whatever the
    data, so they belong to development and CI, as dbt advises (``make test`` runs them on empty relations:
    tests/assets/test_dbt_unit_tests.py), not to every production build (about 4 s of a full build).
    What else depends only on the dbt project, not on the data, is built when the project is new to this
    warehouse (its first build, or a model, macro or var changed since the last publish) and left out of the
    builds of an unchanged project: the staging views (a view is its SQL: DuckDB reads the raw table through
    it at query time), with the tests on them (uniqueness of the key each view deduplicates on itself)."""
    # one --exclude value, space separated: dagster-dbt folds --select/--exclude into its own selection and
    # reads a second value after the flag as a positional argument
    return ["build", "--exclude", "resource_type:unit_test" if project_changed else
            "resource_type:unit_test config.materialized:view"]


class LayerTranslator(DagsterDbtTranslator):
    """Groups dbt models by layer (staging, intermediate, marts) in the asset graph."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


TRANSLATOR = LayerTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@contextmanager
def _environ(values: Mapping[str, str | None]) -> Iterator[None]:
    """``os.environ`` with ``values`` set (None: unset) for the block, as it was afterwards: the dbt CLI inherits
    this process's environment."""
    previous = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            _set(key, value)
        yield
    finally:
        for key, value in previous.items():
            _set(key, value)


def _set(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value


def dbt_environ(warehouse: WarehouseResource) -> dict[str, str | None]:
    """What dbt's profile reads: the DuckDB file (``LC_DUCKDB_PATH``); with LC_DBT_TARGET=spark also the warehouse
    whose lake Spark reads (``LC_WAREHOUSE_DIR``) and no run window, so every model is built from all of it, as
    Spark's incremental models are tables rebuilt in full (``macros/cross_db/materializations.sql``)."""
    values: dict[str, str | None] = {"LC_DUCKDB_PATH": str(warehouse.duckdb_path)}
    if dbt_target() == "spark":
        values |= {"LC_WAREHOUSE_DIR": str(warehouse.root), "LC_DBT_RUN_WINDOW": None}
    return values


def build_dbt_assets() -> dg.AssetsDefinition:
    @dbt_assets(manifest=ensure_manifest(), project=DBT_PROJECT, dagster_dbt_translator=TRANSLATOR,
                name="dbt_models")
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        window = run_window(context)
        fingerprint = project_fingerprint(Path(DBT_PROJECT.project_dir))
        with warehouse.connect() as con:
            build = rebuild_window(con, window, fingerprint)
            project_changed = not published_with(con, fingerprint)
            for sql, params in run_window_sql(build):
                con.execute(sql, params)
        context.log.info(f"dbt build over {build}" + ("" if build == window else
                         f" (the run's window is {window}; the days before {build.start} are unchanged since "
                         "they were last published)"))
        with _environ(dbt_environ(warehouse)):
            invocation = dbt.cli(dbt_build_args(project_changed), context=context, target_path=warehouse.dbt_target)
            yield from invocation.stream()

    return dbt_models

"""The dbt project as Dagster assets: staging -> intermediate -> marts, dbt tests as asset checks.

One ``dbt build`` per run covers the run's whole partition window (a backfill is one dbt call, never one
per day); the window reaches the models as ``--vars`` built by :func:`dbt_build_args`. The dbt assets are
not partitioned themselves: their tables are incremental over the run's window (read from the run's tags,
see ``partitions.run_window``), and they run in their own unpartitioned job (``build_marts``), so a
six-year backfill logs one event per model, not one per model per day.
"""

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

import dagster as dg
from dagster_dbt import (DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject,
                         dbt_assets)

from orchestration.config import DBT_PROJECT_DIR, PARTITIONS_START, latest_complete_day
from orchestration.feeds.base import Window
from orchestration.partitions import run_window
from orchestration.resources import WarehouseResource

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
_SOURCES = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def dbt_executable() -> str:
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


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


def dbt_vars(window: Window) -> dict[str, str]:
    """The partition window as dbt vars: models write only these days, reading history before them."""
    return {"start_date": window.start.isoformat(), "end_date": window.end.isoformat()}


def dbt_build_args(window: Window) -> list[str]:
    return ["build", "--vars", json.dumps(dbt_vars(window), sort_keys=True)]


class LayerTranslator(DagsterDbtTranslator):
    """Groups dbt models by layer (staging, intermediate, marts) in the asset graph."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


TRANSLATOR = LayerTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@contextmanager
def duckdb_path_env(path: Path) -> Iterator[None]:
    """dbt's profile reads the warehouse path from ``LC_DUCKDB_PATH`` (the dbt CLI inherits os.environ)."""
    previous = os.environ.get("LC_DUCKDB_PATH")
    os.environ["LC_DUCKDB_PATH"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("LC_DUCKDB_PATH", None)
        else:
            os.environ["LC_DUCKDB_PATH"] = previous


def build_dbt_assets() -> dg.AssetsDefinition:
    @dbt_assets(manifest=ensure_manifest(), project=DBT_PROJECT, dagster_dbt_translator=TRANSLATOR,
                name="dbt_models")
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        window = run_window(context, default=Window(PARTITIONS_START, latest_complete_day()))
        context.log.info(f"dbt build over {window}")
        with duckdb_path_env(warehouse.duckdb_path):
            yield from dbt.cli(dbt_build_args(window), context=context).stream()

    return dbt_models

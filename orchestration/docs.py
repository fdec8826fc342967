"""``make docs``: dbt's documentation site as one HTML file that opens offline, written to ``<warehouse>/docs/``.

dbt's catalog (column types, row counts, sizes) comes from introspecting the DuckDB file. The working file
itself is never opened: DuckDB lets one process write it, and even a read-only open would hold a lock that
makes a run starting meanwhile fail. dbt reads a copy instead (the file and its WAL). Without a warehouse
(a fresh clone, before ``make run``) the site is written from the project alone (``--empty-catalog``: every
description and declared type, no row counts) and says so.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from orchestration.config import DBT_PROJECT_DIR, settings

DOCS_DIRNAME = "docs"
WORKING_DB = "leverage.duckdb"


@dataclass(frozen=True)
class DocsResult:
    page: Path
    seconds: float
    catalog_from: Path | None  # the warehouse whose copy dbt introspected; None: no warehouse, empty catalog


def docs_command(target_path: Path, empty_catalog: bool) -> list[str]:
    """``dbt docs generate --static`` into ``target_path`` (its own target: a running pipeline's
    ``dbt_project/target`` is left alone); with ``empty_catalog`` dbt queries no database."""
    from orchestration.assets.dbt import dbt_executable

    return [dbt_executable(), "--quiet", "--no-send-anonymous-usage-stats", "docs", "generate", "--static",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target_path), *(["--empty-catalog"] if empty_catalog else [])]


def copy_database(source: Path, folder: Path) -> Path:
    """Copy the DuckDB file (and its write-ahead log, if any) into ``folder`` without opening it."""
    copy = folder / source.name
    shutil.copyfile(source, copy)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    return copy


def generate_docs(warehouse_dir: Path) -> DocsResult:
    started = time.perf_counter()
    working = warehouse_dir / WORKING_DB
    out_dir = warehouse_dir / DOCS_DIRNAME
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lc-docs-") as tmp:
        tmp_dir = Path(tmp)
        database = copy_database(working, tmp_dir) if working.exists() else None
        env = {**os.environ, "LC_DUCKDB_PATH": str(database) if database else ":memory:",
               "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        target = tmp_dir / "target"
        done = subprocess.run(docs_command(target, empty_catalog=database is None), env=env, cwd=DBT_PROJECT_DIR,
                              capture_output=True, text=True)
        page = target / "static_index.html"
        if done.returncode != 0 or not page.exists():
            output = (done.stdout + done.stderr).strip().splitlines()
            hint = (f" A copy of {working} could not be read: if a run was writing it, run make docs again "
                    "once the run has ended." if database else "")
            raise RuntimeError(f"dbt docs generate failed (exit {done.returncode}).{hint} dbt said:\n"
                               + "\n".join(output[-20:]))
        final = out_dir / "index.html"
        staged = out_dir / f".index.html.tmp-{os.getpid()}"
        shutil.copyfile(page, staged)
        staged.replace(final)  # a browser open on the old page never reads half a file
    return DocsResult(final, time.perf_counter() - started, warehouse_dir if database else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.docs",
                                     description="Write dbt's documentation site as one offline HTML file.")
    parser.parse_args(argv)
    try:
        warehouse = settings().warehouse_dir
        result = generate_docs(warehouse)
    except (RuntimeError, ValueError) as exc:  # ValueError: the configuration (orchestration.config) is wrong
        print(f"error: {exc}", file=sys.stderr)
        return 1
    source = (f"catalog from a copy of {result.catalog_from / WORKING_DB}" if result.catalog_from else
              f"no warehouse at {warehouse / WORKING_DB}: descriptions and declared types only, no row counts "
              "(run `make run` first for the full catalog)")
    print(f"dbt docs written to {result.page} in {result.seconds:.1f} s ({source}); open it in a browser, "
          "it needs no network")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The raw layer as a Parquet lake: every raw table also as Parquet files beside the DuckDB file.

Why: the DuckDB file is one process's, on one machine (one writer, and the file is locked while a run holds it).
Plain Parquet in the Hive layout is what other engines read without the warehouse: Spark through dbt-spark
(issue 20), another DuckDB, a notebook. DuckDB stays the working store; the lake is a copy of its raw tables,
written by the same landing, after the DuckDB transaction commits, for the days that transaction replaced (the
landing status's days: at the end of ``make run``'s landing run, see :func:`batched`). Its cost is per file
(~0.3-0.6 ms each for DuckDB's partitioned writer here): a daily refresh writes a few hundred, six years of
history ~54,000.

Layout (the contract the Spark target reads; do not change one side only)::

    <warehouse>/lake/<provider>__<dataset>/partition_date=YYYY-MM-DD/data.parquet   raw.<provider>__<dataset>
    <warehouse>/lake/_landing_status/partition_date=YYYY-MM-DD/data.parquet          raw._landing_status

- one file per day, written by DuckDB's own Parquet writer; every column of the DuckDB table in its order and
  type, except ``partition_date``, which lives in the path only (Spark refuses a column present in both);
- rows within a file ordered by all their columns, so writing the same day again gives the same bytes;
- a day whose rows are all gone from the table has no folder; a table with no rows has its folder, empty;
- a day's file is replaced atomically (written beside it as ``.writing0.tmp``, hidden from Spark and from a
  ``<table>/*/*.parquet`` glob, then renamed over ``data.parquet``), so a reader never sees half a file;
- ``raw._manifest`` (which payload file each page went to) is not in the lake: no model reads it.

The warehouse folder is the one holding the DuckDB file: :func:`lake_of` finds the lake of a connection, so
every writer of the raw tables (``raw_store.land``, ``raw_store.skip``, ``raw_store.create_raw_tables``) keeps
it without being handed a path; an in-memory database has no lake. The lake is kept only with ``LC_LAKE=on``
(off by default, ``config.lake_enabled``): a DuckDB-only warehouse would pay for files nothing reads. A warehouse
landed without it gets it with ``python -m orchestration.lake export`` (:func:`export_all`); with the lake on,
the landing also exports a table in full the first time it finds the table's folder missing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator

import duckdb

from orchestration.config import lake_enabled

LAKE_DIRNAME = "lake"
PARTITION_COLUMN = "partition_date"
DATA_FILE = "data.parquet"
#: what a day's file is written as before it is renamed to ``DATA_FILE`` in the same folder (``os.replace``: atomic):
#: the leading dot hides it from Spark, the extension from a ``*.parquet`` glob
WRITING_NAME, WRITING_EXTENSION = ".writing", "tmp"
WRITING_FILE = f"{WRITING_NAME}0.{WRITING_EXTENSION}"  # DuckDB numbers the files of a partition from 0
#: the raw tables kept out of the lake (see the module's docstring)
NOT_IN_LAKE = ("_manifest",)

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()
#: inside :func:`batched`: its lake and the days :func:`keep` was asked to export there, by table, for its end
_batch: tuple[Path | None, dict[str, set[date]]] | None = None


def lake_dir(warehouse_dir: Path | str) -> Path:
    """The lake of the warehouse folder ``warehouse_dir`` (the folder holding the DuckDB file)."""
    return Path(warehouse_dir) / LAKE_DIRNAME


def lake_of(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The lake beside the database file ``con`` works on; None when the lake is off (``LC_LAKE``, off by
    default: see ``config.lake_enabled``) or the database is in memory."""
    if not lake_enabled():
        return None
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0]
    return lake_dir(Path(path).resolve().parent) if path else None


def folder_name(table: str) -> str:
    """``raw.binance__funding`` (or ``binance__funding``) -> ``binance__funding``."""
    return table.split(".")[-1].strip('"')


def table_folder(lake: Path, table: str) -> Path:
    return Path(lake) / folder_name(table)


def day_folder(lake: Path, table: str, day: date) -> Path:
    return table_folder(lake, table) / f"{PARTITION_COLUMN}={day.isoformat()}"


def _qualified(table: str) -> str:
    name = folder_name(table)
    return f'raw."{name}"'


def _lock(folder: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(folder, threading.Lock())


def export_days(con: duckdb.DuckDBPyConnection, table: str, days: Iterable[date], lake: Path) -> dict[str, int]:
    """Make ``days`` of ``table``'s lake folder what the DuckDB table holds for them, with one ``COPY``: each
    day with rows gets its file replaced atomically, each day without rows loses its folder. Call it after the
    transaction that changed those days committed (it reads the table as committed). The folder is created even
    when ``days`` is empty. Returns ``{"written": n, "removed": m}``; raises OSError or duckdb.Error when the
    disk fails (the caller's warehouse fault).

    DuckDB writes each day's file as ``<day folder>/.writing0.tmp`` (hidden from Spark, not matched by
    ``*.parquet``; one left by a process that died is overwritten next time), then each is renamed over
    ``data.parquet`` in the same folder: no staging folders to create and remove, which on this kind of disk
    cost more than writing the file."""
    days = sorted(set(days))
    folder = table_folder(lake, table)
    with _lock(folder.resolve()):
        folder.mkdir(parents=True, exist_ok=True)
        if not days:
            return {"written": 0, "removed": 0}
        if len(days) == 1:
            where, params = f"{PARTITION_COLUMN} = ?", days
        else:  # a range and a membership test: the range lets DuckDB skip row groups, the list is exact
            where = f"{PARTITION_COLUMN} BETWEEN ? AND ? AND {PARTITION_COLUMN} IN ({', '.join('?' * len(days))})"
            params = [days[0], days[-1], *days]
        # one thread: DuckDB's partitioned writer keeps the rows' order only then (and the files are small)
        threads = con.execute("select current_setting('threads')").fetchone()[0]
        con.execute("SET threads = 1")
        try:
            (_, files), = con.execute(
                f"COPY (SELECT * FROM {_qualified(table)} WHERE {where} ORDER BY ALL) TO '{_sql_path(folder)}' "
                f"(FORMAT parquet, PARTITION_BY ({PARTITION_COLUMN}), OVERWRITE_OR_IGNORE, "
                f"FILENAME_PATTERN '{WRITING_NAME}', FILE_EXTENSION '{WRITING_EXTENSION}', RETURN_FILES)",
                params).fetchall()
        finally:
            con.execute(f"SET threads = {int(threads)}")
        written_days = set()
        for file in map(Path, files):
            if file.name != WRITING_FILE:  # DuckDB writes one file per partition unless told to split them
                raise OSError(f"expected one file per day from DuckDB, got {file}")
            os.replace(file, file.parent / DATA_FILE)
            written_days.add(file.parent.name)
        removed = 0
        for day in days:
            target = folder / f"{PARTITION_COLUMN}={day.isoformat()}"
            if target.name not in written_days and target.exists():
                _remove_day(target)
                removed += 1
    return {"written": len(written_days), "removed": removed}


def _remove_day(target: Path) -> None:
    data = target / DATA_FILE
    if data.exists():
        data.unlink()  # the day disappears for readers at once; the folder follows
    shutil.rmtree(target, ignore_errors=True)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def keep(con: duckdb.DuckDBPyConnection, table: str, days: Iterable[date], lake: Path,
         may_wait: bool = False) -> None:
    """``days`` of ``table`` exported to ``lake`` now (the whole table when its folder is missing: a warehouse
    from before the lake, or a folder removed), or, with ``may_wait`` inside :func:`batched`, at the block's end.
    Raises OSError or duckdb.Error when the disk fails."""
    if may_wait and _batch is not None and _batch[0] == Path(lake):
        with _locks_guard:
            _batch[1].setdefault(table, set()).update(days)
        return
    if table_folder(lake, table).is_dir():
        export_days(con, table, days, lake)
    else:
        export_table(con, table, lake)


@contextmanager
def batched(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Inside the block, the exports :func:`keep` may delay (``may_wait``: the landing status) are made once, at
    its end, with ``con``. Why: every feed's landing writes its own rows into the same status days, so a landing
    run of 32 feeds over six years would rewrite each of the ~2,200 status day files 32 times (about two thirds
    of what the lake cost in a full-history run). Used around ``make run``'s landing run (``resources.kept_open``),
    during which nothing else opens the warehouse; in a Dagster run each landing writes its status days at once."""
    global _batch
    if _batch is not None:  # nested: the outer block writes them
        yield
        return
    lake = lake_of(con)
    _batch = (lake, {})
    try:
        yield
    finally:
        pending, _batch = _batch[1], None
        for table, days in sorted(pending.items()):
            try:
                keep(con, table, days, lake)
            except (OSError, duckdb.Error) as exc:
                from orchestration.raw_store import WarehouseFault

                raise WarehouseFault(f"cannot write {table} to the Parquet lake in {lake}: {exc}") from exc


def lake_days(lake: Path, table: str) -> set[date]:
    """The days ``table``'s lake folder has a folder for."""
    folder = table_folder(lake, table)
    prefix = f"{PARTITION_COLUMN}="
    if not folder.is_dir():
        return set()
    return {date.fromisoformat(entry.name[len(prefix):]) for entry in os.scandir(folder)
            if entry.is_dir() and entry.name.startswith(prefix)}


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The DuckDB raw tables the lake keeps (``raw.<name>``), by name."""
    rows = con.execute("select table_name from duckdb_tables() where schema_name = 'raw' and database_name = "
                       "current_database() order by table_name").fetchall()
    return [f"raw.{name}" for (name,) in rows if name not in NOT_IN_LAKE]


def export_table(con: duckdb.DuckDBPyConnection, table: str, lake: Path) -> dict[str, int]:
    """``table``'s whole lake folder made what the DuckDB table holds: every day it has rows for written, every
    day folder it no longer has rows for removed."""
    held = {row[0] for row in con.execute(f"SELECT DISTINCT {PARTITION_COLUMN} FROM {_qualified(table)}").fetchall()
            if row[0] is not None}
    return export_days(con, table, held | lake_days(lake, table), lake)


def export_all(con: duckdb.DuckDBPyConnection, lake: Path) -> dict[str, dict[str, int]]:
    """Every raw table of ``con`` written to ``lake`` in full (a warehouse landed before the lake existed, or a
    lake to check against its tables); tables already there are rewritten to the same content."""
    return {folder_name(table): export_table(con, table, lake) for table in raw_tables(con)}


def lake_tables(datasets: Iterable | None = None) -> dict[str, dict[str, str]]:
    """The lake's tables (folder name -> columns in the DuckDB table's order with their DuckDB types), from the
    code that creates them: ``raw_store.raw_columns`` of every dataset and ``raw_store.STATUS_COLUMNS``.
    ``partition_date`` (DATE) is listed where the DuckDB table has it (first in a dataset's table, third in the
    landing status); in the lake it lives in the path only, and the files hold the other columns in this order.
    ``raw._manifest`` is not in the lake (no model reads it)."""
    from orchestration.feeds.registry import datasets as every_dataset
    from orchestration.raw_store import STATUS_COLUMNS, STATUS_TABLE, raw_columns, raw_table

    tables = {folder_name(raw_table(dataset)): dict(raw_columns(dataset))
              for dataset in (every_dataset() if datasets is None else datasets)}
    tables[folder_name(STATUS_TABLE)] = dict(STATUS_COLUMNS)
    return tables


def parquet_glob(lake: Path, table: str) -> str:
    """What ``read_parquet(..., hive_partitioning = true)`` reads the table back from."""
    return str(table_folder(lake, table) / "*" / "*.parquet")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.lake",
                                     description="The raw layer's Parquet lake (warehouse/lake/).")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write every raw table of the warehouse to its lake in full "
                                 "(a warehouse landed before the lake existed)")
    export.add_argument("--warehouse", help="the warehouse folder (default LC_WAREHOUSE_DIR, ./warehouse)")
    args = parser.parse_args(argv)
    from orchestration.config import ConfigError, warehouse_dir
    from orchestration.resources import WarehouseResource

    try:
        warehouse = Path(args.warehouse) if args.warehouse else warehouse_dir()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    database = WarehouseResource(warehouse_dir=str(warehouse)).duckdb_path
    if not database.is_file():
        print(f"error: no warehouse at {database}: run `make run` first", file=sys.stderr)
        return 1
    started = time.perf_counter()
    try:
        con = duckdb.connect(str(database))
    except duckdb.IOException as exc:  # another process holds the file
        print(f"error: cannot open {database}: {exc}", file=sys.stderr)
        return 1
    lake = lake_dir(database.parent)  # asked for by name: written whatever LC_LAKE says
    with con:
        done = export_all(con, lake)
    for table, counts in done.items():
        print(f"{table_folder(lake, table)}: {counts['written']} day file(s) written"
              + (f", {counts['removed']} day folder(s) removed" if counts["removed"] else ""))
    print(f"{len(done)} table(s) exported to {lake} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

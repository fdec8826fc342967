"""Publish gated marts to the snapshot BI tools read. Pure (no Dagster).

BI never reads the working database (DuckDB allows one writer at a time). Each publish writes a brand-new
DuckDB file and one Parquet file per table under temporary names in ``published/``, and only when every
file is complete swaps them in with ``os.replace`` (atomic on one filesystem). A reader therefore sees the
previous snapshot or the new one, never a half-written file; if anything fails before the swap, the previous
snapshot is left untouched and the temporary files are removed.

Layout::

    published/marts.duckdb          every published table, in schema main
    published/<table>.parquet       one file per table
    published/manifest.json         row counts, hashes, source, published_at (written last); its paths are
                                    relative to ``published/``, so the folder can be copied or mounted anywhere

The DuckDB file is written in the storage format of DuckDB 1.0 (:data:`STORAGE_VERSION`), not the writer's
own: BI tools embed DuckDB 1.x (Evidence's ``@duckdb/node-api`` 1.4, the Metabase driver, DBeaver), and a
1.x reader refuses a file in DuckDB 2's format ("can only read versions between 64 and 68").
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DUCKDB_NAME = "marts.duckdb"
MANIFEST_NAME = "manifest.json"
#: The storage format of ``marts.duckdb``: the oldest of the 1.x line (file format 64), so every DuckDB 1.x
#: reader opens it (1.0 reads 64 only, 1.5 reads 64..68). Every published column is INTEGER, DOUBLE, DATE,
#: TIMESTAMP, BOOLEAN or VARCHAR, which this format stores; a newer format would only add compression and
#: lock out older 1.x readers. A column this format cannot hold (e.g. VARIANT) fails the publish, leaving the
#: previous snapshot; the e2e test reads every table back with a 1.x reader.
STORAGE_VERSION = "v1.0.0"


def _tmp(path: Path) -> Path:
    return path.with_name(f"{path.name}.tmp-{os.getpid()}")


_TMP_SUFFIX = re.compile(r"\.tmp-(\d+)(\.wal)?$")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_leftovers(published_dir: Path) -> list[Path]:
    """Delete the temporary files of an earlier publish that was killed before its swap (``*.tmp-<pid>``
    of a process that no longer runs); a concurrent publish's files are left alone. Returns what went."""
    removed = []
    for path in published_dir.iterdir():
        match = _TMP_SUFFIX.search(path.name)
        if match and path.is_file() and not _pid_alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _resolve(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> tuple[str, str]:
    """(schema, name) of ``table`` in the attached ``catalog``: schema main unless qualified, otherwise
    wherever dbt put it (a single match in any schema)."""
    if "." in table:
        schema, name = table.rsplit(".", 1)
    else:
        schema, name = None, table
    rows = con.execute(
        "select table_schema from information_schema.tables where table_catalog = ? and table_name = ?",
        [catalog, name],
    ).fetchall()
    schemas = sorted(r[0] for r in rows)
    if schema is not None:
        if schema not in schemas:
            raise LookupError(f"table {table!r} not found in the source database")
        return schema, name
    if not schemas:
        raise LookupError(f"table {table!r} not found in the source database (looked in every schema)")
    if "main" in schemas:
        return "main", name
    if len(schemas) == 1:
        return schemas[0], name
    raise LookupError(f"table {table!r} is ambiguous: found in schemas {schemas}; qualify it as schema.table")


def publish_marts(source_duckdb: Path, published_dir: Path, tables: list[str]) -> dict[str, Any]:
    """Copy ``tables`` from ``source_duckdb`` (opened read-only) into a new ``published/marts.duckdb`` and
    ``published/<table>.parquet`` files, swapped in atomically.

    Returns (and writes as ``manifest.json``) ``{"duckdb_path", "parquet_paths": {t: path}, "storage_version",
    "row_counts": {t: n}, "table_hashes": {t: sha256 of the parquet file}, "content_hash": sha256 over all
    tables, "sources": {t: "schema.table"}, "published_at"}``, paths relative to ``published_dir``. Raises
    (leaving the previous snapshot untouched) if any table is missing or any write fails.
    """
    source_duckdb = Path(source_duckdb).resolve()
    published_dir = Path(published_dir).resolve()
    if not tables:
        raise ValueError("publish_marts needs at least one table")
    if not source_duckdb.exists():
        raise FileNotFoundError(f"source database {source_duckdb} does not exist")
    names = [t.rsplit(".", 1)[-1] for t in tables]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate table names in {tables}")
    published_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(published_dir)

    final_db = published_dir / DUCKDB_NAME
    tmp_db = _tmp(final_db)
    final_parquet = {n: published_dir / f"{n}.parquet" for n in names}
    tmp_parquet = {n: _tmp(p) for n, p in final_parquet.items()}
    final_manifest = published_dir / MANIFEST_NAME
    tmp_manifest = _tmp(final_manifest)
    temps = [tmp_db, tmp_db.with_name(tmp_db.name + ".wal"), *tmp_parquet.values(), tmp_manifest]

    def cleanup() -> None:
        for p in temps:
            p.unlink(missing_ok=True)

    cleanup()  # leftovers of an earlier crashed publish by a process with our pid
    row_counts: dict[str, int] = {}
    sources: dict[str, str] = {}
    try:
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"attach {_sql_str(str(source_duckdb))} as src (read_only)")
            con.execute(f"attach {_sql_str(str(tmp_db))} as dst (storage_version {_sql_str(STORAGE_VERSION)})")
            resolved = [_resolve(con, "src", t) for t in tables]  # all found before anything is written
            for name, (schema, src_name) in zip(names, resolved):
                con.execute(
                    f"create table dst.main.{_q(name)} as "
                    f"select * from src.{_q(schema)}.{_q(src_name)}"
                )
                row_counts[name] = int(
                    con.execute(f"select count(*) from dst.main.{_q(name)}").fetchone()[0]
                )
                sources[name] = f"{schema}.{src_name}"
                con.execute(
                    f"copy (select * from dst.main.{_q(name)}) to {_sql_str(str(tmp_parquet[name]))} "
                    "(format parquet, compression zstd)"
                )
            con.execute("checkpoint dst")
            con.execute("detach dst")
            con.execute("detach src")
        finally:
            con.close()
        if tmp_db.with_name(tmp_db.name + ".wal").exists():
            raise RuntimeError(f"{tmp_db} still has a write-ahead log after checkpoint; not publishing")

        table_hashes = {n: _sha256(tmp_parquet[n]) for n in names}
        content_hash = hashlib.sha256(
            "\n".join(f"{n}:{table_hashes[n]}" for n in sorted(names)).encode()
        ).hexdigest()
        published_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        result: dict[str, Any] = {
            "duckdb_path": DUCKDB_NAME,  # relative to published/: the folder means the same wherever it is
            "parquet_paths": {n: p.name for n, p in final_parquet.items()},
            "storage_version": STORAGE_VERSION,
            "row_counts": row_counts,
            "table_hashes": table_hashes,
            "content_hash": content_hash,
            "sources": sources,
            "published_at": published_at,
        }
        tmp_manifest.write_text(json.dumps(result, indent=2) + "\n")
        for p in [tmp_db, *tmp_parquet.values(), tmp_manifest]:
            with p.open("rb") as fh:
                os.fsync(fh.fileno())
    except BaseException:
        cleanup()
        raise

    # The swap: every file is complete; each replace is atomic. The database goes first, the manifest last,
    # so the manifest never describes files that are not yet in place.
    os.replace(tmp_db, final_db)
    for n in names:
        os.replace(tmp_parquet[n], final_parquet[n])
    os.replace(tmp_manifest, final_manifest)
    _fsync_dir(published_dir)
    return result


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def published_rows(published_dir: Path, table: str) -> "pd.DataFrame":
    """Read a published table back from ``published/marts.duckdb`` (read-only), as BI would."""
    path = Path(published_dir) / DUCKDB_NAME
    if not path.exists():
        raise FileNotFoundError(f"nothing published yet at {path}")
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select * from main.{_q(table)}").df()
    finally:
        con.close()


def published_manifest(published_dir: Path) -> dict[str, Any] | None:
    path = Path(published_dir) / MANIFEST_NAME
    return json.loads(path.read_text()) if path.exists() else None

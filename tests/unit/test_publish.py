"""Atomic publishing of gated marts to the BI snapshot (no Great Expectations, no Dagster)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pytest

from orchestration import publish
from orchestration.publish import publish_marts, published_manifest, published_rows


def _source(path: Path, days: int = 30, score: float = 10.0) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute(
            f"""create or replace table main.leverage_condition as
                select (date '2024-01-01' + range::int) as date, 'BTC' as asset,
                       60000.0 + range as price_close_usd, {score}::double as leverage_condition_score
                from range({days})"""
        )
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.cascade_event_study as select date '2024-08-05' as event_date, 3 as n"
        )
        con.execute("create or replace table main.shadowed as select 'main' as where_from")
        con.execute("create schema if not exists other")
        con.execute("create or replace table other.shadowed as select 'other' as where_from")
    finally:
        con.close()
    return path


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


TABLES = ["leverage_condition", "cascade_event_study"]


def test_publishes_tables_and_parquet(tmp_path):
    src = _source(tmp_path / "work.duckdb")
    out = tmp_path / "published"
    result = publish_marts(src, out, TABLES)

    assert sorted(os.listdir(out)) == [
        "cascade_event_study.parquet", "leverage_condition.parquet", "manifest.json", "marts.duckdb"
    ]
    assert result["row_counts"] == {"leverage_condition": 30, "cascade_event_study": 1}
    assert result["sources"] == {
        "leverage_condition": "main.leverage_condition",
        "cascade_event_study": "marts.cascade_event_study",  # found wherever dbt put it
    }
    assert result["duckdb_path"] == "marts.duckdb"
    assert len(result["content_hash"]) == 64
    assert published_manifest(out)["content_hash"] == result["content_hash"]

    rows = published_rows(out, "leverage_condition")
    assert len(rows) == 30 and list(rows.columns)[:2] == ["date", "asset"]
    con = duckdb.connect()
    parquet = out / "leverage_condition.parquet"
    assert con.execute(f"select count(*), max(price_close_usd) from '{parquet}'").fetchone() == (30, 60029.0)
    con.close()


def test_the_manifest_names_its_files_relative_to_the_published_folder(tmp_path):
    """A BI host mounts or copies ``published/`` anywhere: the manifest holds no path of the machine that wrote it."""
    src = _source(tmp_path / "work.duckdb")
    out = tmp_path / "published"
    publish_marts(src, out, TABLES)
    moved = tmp_path / "elsewhere"
    out.rename(moved)
    manifest = published_manifest(moved)
    paths = [manifest["duckdb_path"], *manifest["parquet_paths"].values()]
    assert paths == ["marts.duckdb", "leverage_condition.parquet", "cascade_event_study.parquet"]
    assert all((moved / p).is_file() for p in paths)
    assert str(tmp_path) not in (moved / "manifest.json").read_text()


def _file_format(path: Path) -> int:
    """The storage format number in a DuckDB file's header (after an 8-byte checksum and the magic ``DUCK``)."""
    header = path.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    return int.from_bytes(header[12:20], "little")


def test_the_snapshot_is_written_in_a_format_every_duckdb_1x_reader_opens(tmp_path):
    """DuckDB 1.0 reads format 64 only, 1.5 reads 64..68; the writer's own (DuckDB 2) format is refused by all."""
    src = _source(tmp_path / "work.duckdb")
    out = tmp_path / "published"
    result = publish_marts(src, out, TABLES)
    assert result["storage_version"] == publish.STORAGE_VERSION == "v1.0.0"
    assert _file_format(out / "marts.duckdb") == 64
    con = duckdb.connect()
    try:
        con.execute(f"attach '{out / 'marts.duckdb'}' as snap (read_only)")
        tags = con.execute("select tags from duckdb_databases() where database_name = 'snap'").fetchone()[0]
    finally:
        con.close()
    assert tags["storage_version"].startswith("v1.0.0")
    assert _file_format(src) != 64  # the working database is in DuckDB 2's own format: the option matters


def test_schema_main_wins_unless_qualified(tmp_path):
    src = _source(tmp_path / "work.duckdb")
    out = tmp_path / "published"
    publish_marts(src, out, ["shadowed"])
    assert published_rows(out, "shadowed")["where_from"].tolist() == ["main"]
    result = publish_marts(src, out, ["other.shadowed"])
    assert result["sources"] == {"shadowed": "other.shadowed"}
    assert published_rows(out, "shadowed")["where_from"].tolist() == ["other"]


def test_republishing_the_same_data_gives_the_same_content_hash(tmp_path):
    src = _source(tmp_path / "work.duckdb")
    first = publish_marts(src, tmp_path / "a", TABLES)
    second = publish_marts(src, tmp_path / "b", TABLES)
    assert first["content_hash"] == second["content_hash"]


def test_a_second_publish_replaces_the_snapshot_atomically(tmp_path):
    src = _source(tmp_path / "work.duckdb", days=30)
    out = tmp_path / "published"
    first = publish_marts(src, out, TABLES)
    # a BI reader holding the old file open keeps reading the old snapshot (os.replace swaps the inode)
    reader = open(out / "leverage_condition.parquet", "rb")
    old_inode = os.fstat(reader.fileno()).st_ino
    old_bytes = reader.read()

    _source(src, days=45, score=77.0)
    second = publish_marts(src, out, TABLES)

    assert second["row_counts"]["leverage_condition"] == 45
    assert second["content_hash"] != first["content_hash"]
    assert published_rows(out, "leverage_condition")["leverage_condition_score"].unique().tolist() == [77.0]
    assert os.stat(out / "leverage_condition.parquet").st_ino != old_inode  # a new file, not rewritten in place
    reader.seek(0)
    assert reader.read() == old_bytes
    reader.close()
    assert not [p for p in os.listdir(out) if ".tmp-" in p]


@pytest.mark.parametrize(
    "tables",
    [
        ["leverage_condition", "no_such_table"],  # missing table
        ["leverage_condition", "missing_schema.cascade_event_study"],  # missing schema
        ["shadowed_nowhere"],
    ],
)
def test_a_failed_publish_leaves_the_previous_snapshot_byte_identical(tmp_path, tables):
    src = _source(tmp_path / "work.duckdb")
    out = tmp_path / "published"
    publish_marts(src, out, TABLES)
    before = _digest(out)

    _source(src, days=60, score=99.0)  # new data that must not leak into the snapshot
    with pytest.raises(LookupError):
        publish_marts(src, out, tables)

    assert _digest(out) == before
    assert not [p for p in os.listdir(out) if ".tmp-" in p]


def test_a_failure_after_files_are_written_cleans_up_and_keeps_the_snapshot(tmp_path, monkeypatch):
    src = _source(tmp_path / "work.duckdb")
    out = tmp_path / "published"
    publish_marts(src, out, TABLES)
    before = _digest(out)

    def boom(path):
        raise OSError("disk full")

    monkeypatch.setattr(publish, "_sha256", boom)  # fails after the temp DuckDB and Parquet files exist
    _source(src, days=60)
    with pytest.raises(OSError, match="disk full"):
        publish_marts(src, out, TABLES)
    assert _digest(out) == before
    assert not [p for p in os.listdir(out) if ".tmp-" in p]


def test_the_source_is_opened_read_only(tmp_path):
    src = _source(tmp_path / "work.duckdb")
    # another read-only reader (e.g. a gate) may hold the working file while we publish
    holder = duckdb.connect(str(src), read_only=True)
    try:
        publish_marts(src, tmp_path / "published", ["leverage_condition"])
    finally:
        holder.close()
    before = src.stat().st_mtime_ns
    publish_marts(src, tmp_path / "published", ["leverage_condition"])
    assert src.stat().st_mtime_ns == before


def test_bad_arguments(tmp_path):
    src = _source(tmp_path / "work.duckdb")
    with pytest.raises(ValueError):
        publish_marts(src, tmp_path / "p", [])
    with pytest.raises(FileNotFoundError):
        publish_marts(tmp_path / "nope.duckdb", tmp_path / "p", TABLES)
    with pytest.raises(FileNotFoundError):
        published_rows(tmp_path / "never", "leverage_condition")


def test_a_killed_publish_leaves_no_temporary_files_behind_the_next_one(tmp_path):
    """A publish killed before its swap leaves ``*.tmp-<pid>`` files; the next publish removes those of dead
    processes and keeps a concurrent (live) publisher's."""
    import subprocess
    import sys

    from orchestration.publish import remove_leftovers

    published = tmp_path / "published"
    published.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = [published / f"marts.duckdb.tmp-{dead}", published / f"marts.duckdb.tmp-{dead}.wal",
             published / f"leverage_condition.parquet.tmp-{dead}"]
    live = published / f"marts.duckdb.tmp-{os.getpid()}"
    for path in (*stale, live):
        path.write_bytes(b"half-written")
    keep = published / "leverage_condition.parquet"
    keep.write_bytes(b"the published snapshot")
    assert sorted(remove_leftovers(published)) == sorted(stale)
    assert live.exists() and keep.exists() and not any(p.exists() for p in stale)

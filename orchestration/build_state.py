"""What a marts run must rebuild: only what changed since the last publish.

A marts run is asked for a window (the landing run's, or six years for ``make run``). The days before the
earliest day whose raw data changed since the last publish, and that an earlier publish already covered
with the same dbt project, would be rebuilt to the same rows: the run re-checks and rebuilds from that
day to the window's end instead (its trailing windows read the history before it). A re-run of a complete
window therefore costs what a daily refresh does. Every publish is recorded in ``meta.marts_builds``; no
record, another dbt project (models, macros, seeds or vars changed) or a raw day landed since means a
rebuild from there.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from orchestration.days import Window
from orchestration.raw_store import STATUS_TABLE

BUILDS_TABLE = "meta.marts_builds"
_SOURCES = ("models", "macros", "seeds", "tests", "dbt_project.yml")


def project_fingerprint(project_dir: Path) -> str:
    """A hash of everything in the dbt project that decides what the models compute."""
    digest = hashlib.sha256()
    for name in _SOURCES:
        path = project_dir / name
        for file in sorted(path.rglob("*") if path.is_dir() else [path]):
            if file.is_file():
                digest.update(str(file.relative_to(project_dir)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def record_publish(con: duckdb.DuckDBPyConnection, window: Window, fingerprint: str,
                   published_at: datetime | None = None) -> None:
    con.execute("create schema if not exists meta")
    con.execute(f"create table if not exists {BUILDS_TABLE} (start_date date, end_date date, fingerprint varchar, "
                "published_at timestamp)")
    moment = published_at or datetime.now(timezone.utc).replace(tzinfo=None)
    con.execute(f"insert into {BUILDS_TABLE} values (?, ?, ?, ?)", [window.start, window.end, fingerprint, moment])


def _first_uncovered(window: Window, covered: list[Window]) -> date | None:
    day = window.start
    for built in sorted(covered, key=lambda built: built.half_open):
        if built.start > day:
            break
        day = max(day, built.stop)
    return day if day <= window.end else None


def published_with(con: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    """Whether a marts run with this dbt project has published into this warehouse before."""
    try:
        return bool(con.execute(f"select count(*) from {BUILDS_TABLE} where fingerprint = ?",
                                [fingerprint]).fetchone()[0])
    except duckdb.CatalogException:
        return False


def rebuild_window(con: duckdb.DuckDBPyConnection, window: Window, fingerprint: str) -> Window:
    """The part of ``window`` a marts run must rebuild (see the module docstring); at least its last day."""
    try:
        builds = con.execute(f"select start_date, end_date, published_at from {BUILDS_TABLE} "
                             "where fingerprint = ?", [fingerprint]).fetchall()
    except duckdb.CatalogException:
        return window
    if not builds:
        return window
    last_published = max(row[2] for row in builds)
    try:
        changed = con.execute(f"select min(partition_date) from {STATUS_TABLE} where landed_at > ? "
                              "and partition_date <= ?", [last_published, window.end]).fetchone()[0]
    except duckdb.CatalogException:
        changed = None
    candidates = [day for day in (changed, _first_uncovered(window, [Window(s, e) for s, e, _ in builds])) if day]
    start = max(window.start, min(candidates)) if candidates else window.end
    return Window(min(start, window.end), window.end)

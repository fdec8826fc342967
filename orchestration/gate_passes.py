"""Which raw gates passed on exactly which rows: re-checking rows that already passed the same rules is that pass.

The marts run re-checks every raw table over its window before dbt reads it, so that raw data changed after
its landing (or landed by a run whose gate failed) cannot be published. Most of the time the rows are the
ones the landing gate has just validated, and validating them again gives the same answer at the same cost.
A pass is recorded with a fingerprint of everything that decided it: the rows the gate read (its window and
the suite's lookback), the window's landing statuses, and the rules (the suite file, the gate code, the
connectors that declare each raw table's structure). A re-check whose fingerprint matches a recorded pass of
the same window says so instead of validating again; anything else is validated in full.
"""
from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timedelta, timezone

import duckdb

from orchestration.config import EXPECTATIONS_DIR, PROJECT_ROOT
from orchestration.days import Window
from orchestration.raw_store import STATUS_TABLE, quoted

PASSES_TABLE = "meta.gate_passes"
#: the code that decides a raw gate's verdict besides its suite file
_RULE_CODE = ("orchestration/gates", "orchestration/feeds", "orchestration/assets/checks.py")


@functools.lru_cache(maxsize=None)
def _code_digest() -> str:
    """A hash of the code that applies every suite (read once per process, not once per suite)."""
    digest = hashlib.sha256()
    for name in _RULE_CODE:
        path = PROJECT_ROOT / name
        for file in sorted(path.rglob("*.py") if path.is_dir() else [path]):
            digest.update(str(file.relative_to(PROJECT_ROOT)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def rules_digest(suite: str) -> str:
    """A hash of the suite file and of the code that applies it."""
    return hashlib.sha256((EXPECTATIONS_DIR / f"{suite}.json").read_bytes() + _code_digest().encode()).hexdigest()


def fingerprint(con: duckdb.DuckDBPyConnection, table: str, partition_column: str, window: Window,
                lookback_days: int, landing: tuple[str, str]) -> str:
    """What a gate of ``table`` over ``window`` reads: its rows from ``lookback_days`` before the window (an
    order-free sum of row hashes and the count: any changed, added or removed row changes it) and the
    window's landing statuses."""
    start, stop = window.start - timedelta(days=lookback_days), window.stop
    rows = con.execute(
        f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {quoted(table)} t "
        f"where {quoted(partition_column)} >= ? and {quoted(partition_column)} < ?", [start, stop]).fetchone()
    statuses = con.execute(
        f"select count(*), coalesce(sum(hash(partition_date, status, error)::hugeint), 0) from {STATUS_TABLE} "
        "where provider = ? and dataset = ? and partition_date >= ? and partition_date < ?",
        [*landing, window.start, stop]).fetchone()
    return hashlib.sha256(repr((rows, statuses, lookback_days)).encode()).hexdigest()


def record_pass(con: duckdb.DuckDBPyConnection, suite: str, window: Window, fingerprint_: str, gate: str) -> None:
    con.execute("create schema if not exists meta")
    con.execute(f"create table if not exists {PASSES_TABLE} (suite varchar, start_date date, end_date date, "
                "rules varchar, fingerprint varchar, gate varchar, passed_at timestamp)")
    con.execute(f"delete from {PASSES_TABLE} where suite = ? and start_date = ? and end_date = ?",
                [suite, window.start, window.end])
    con.execute(f"insert into {PASSES_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
                [suite, window.start, window.end, rules_digest(suite), fingerprint_, gate,
                 datetime.now(timezone.utc).replace(tzinfo=None)])


def earlier_pass(con: duckdb.DuckDBPyConnection, suite: str, window: Window,
                 fingerprint_: str) -> tuple[str, datetime] | None:
    """(gate, when) of a recorded pass of ``suite`` over exactly ``window`` on the same rows and rules."""
    try:
        row = con.execute(f"select gate, passed_at from {PASSES_TABLE} where suite = ? and start_date = ? "
                          "and end_date = ? and rules = ? and fingerprint = ?",
                          [suite, window.start, window.end, rules_digest(suite), fingerprint_]).fetchone()
    except duckdb.CatalogException:  # no pass recorded yet in this warehouse
        return None
    return (row[0], row[1]) if row else None

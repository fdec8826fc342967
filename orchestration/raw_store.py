"""Land first, parse second: verbatim payloads on disk, a manifest row each, typed raw tables in DuckDB.

One mechanism for every provider dataset. Re-landing a window replaces that window's payload folder,
its manifest rows and its raw-table partitions, and nothing else, so re-runs are idempotent. Every raw table
and the landing status are also kept as Parquet beside the DuckDB file (``orchestration.lake``), day by day,
once the DuckDB transaction has committed.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterable

import duckdb
import pandas as pd

from orchestration.days import Window
from orchestration.feeds.base import Dataset, Page, Row, fetch, headers_file, kept_headers
from orchestration.feeds.http import FeedClient, FeedError, FeedParseError
from orchestration.lake import keep, lake_of

MANIFEST_TABLE = "raw._manifest"
MANIFEST_COLUMNS = {
    "provider": "VARCHAR", "dataset": "VARCHAR", "window_start": "DATE", "window_end": "DATE",
    "page": "INTEGER", "url": "VARCHAR", "http_status": "INTEGER", "sha256": "VARCHAR", "bytes": "BIGINT",
    "path": "VARCHAR", "fetched_at": "TIMESTAMP",
}


STATUS_TABLE = "raw._landing_status"
STATUS_COLUMNS = {"provider": "VARCHAR", "dataset": "VARCHAR", "partition_date": "DATE", "status": "VARCHAR",
                  "error": "VARCHAR", "landed_at": "TIMESTAMP", "as_of": "TIMESTAMP"}


def raw_table(dataset: Dataset) -> str:
    return f"raw.{dataset.provider.name}__{dataset.name}"


def raw_columns(dataset: Dataset) -> dict[str, str]:
    return {"partition_date": "DATE", **dataset.columns, "payload_sha256": "VARCHAR"}


class WarehouseFault(RuntimeError):
    """The warehouse itself failed (disk, database): this stops the run, unlike any one feed's failure."""


@dataclass
class LandingResult:
    table: str
    window: Window
    payload_dir: Path
    pages: int = 0
    payload_bytes: int = 0
    rows: int = 0
    rows_per_day: dict[date, int] = field(default_factory=dict)
    empty_days: list[date] = field(default_factory=list)
    statuses: dict[date, tuple[str, str | None]] = field(default_factory=dict)
    error: FeedError | None = None


class PayloadStore:
    """Writes each page verbatim under ``raw/<provider>/<dataset>/<window>/`` and remembers its manifest row; the
    response headers a dataset parses (``Dataset.kept_headers``) go beside the page, so it re-parses later."""

    def __init__(self, raw_dir: Path, client: FeedClient, dataset: Dataset, window: Window):
        self.client, self.dataset, self.window = client, dataset, window
        self.folder = raw_dir / dataset.provider.name / dataset.name / f"{window.start}_{window.end}"
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        self.manifest: list[dict] = []
        self.sha_by_page: dict[int, str] = {}

    def __call__(self, page: Page) -> None:
        body = page.response.body
        sha = hashlib.sha256(body).hexdigest()
        path = self.folder / f"page-{page.index:05d}.{self.dataset.payload_extension}"
        headers = kept_headers(self.dataset, page.response)
        try:
            path.write_bytes(body)
            if headers:
                headers_file(path).write_text(json.dumps(headers))
        except OSError as exc:  # a full disk or a lost folder is the warehouse's fault, not the feed's
            raise WarehouseFault(f"cannot keep the payload at {path}: {exc}") from exc
        self.sha_by_page[page.index] = sha
        self.manifest.append({
            "provider": self.dataset.provider.name, "dataset": self.dataset.name,
            "window_start": self.window.start, "window_end": self.window.end, "page": page.index,
            "url": self.client.display_url(page.request), "http_status": page.response.status,
            "sha256": sha, "bytes": len(body), "path": str(path),
            "fetched_at": datetime.now(timezone.utc).replace(tzinfo=None),
        })


def rows_frame(dataset: Dataset, window: Window, pages: list[tuple[Page, list[Row]]],
               sha_by_page: dict[int, str]) -> pd.DataFrame:
    """Typed rows of the window's days, each tagged with its partition and the payload it came from."""
    records = [{**row, "payload_sha256": sha_by_page[page.index]} for page, rows in pages for row in rows]
    columns = raw_columns(dataset)
    frame = pd.DataFrame.from_records(records, columns=[c for c in columns if c != "partition_date"])
    frame.insert(0, "partition_date", pd.to_datetime(dataset.partition_times(frame)).dt.date)
    in_window = (frame["partition_date"] >= window.start) & (frame["partition_date"] <= window.end)
    return frame[in_window].reset_index(drop=True)


def _ensure_table(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({ddl})")
    if table == STATUS_TABLE:  # a warehouse from before a column was added gets it (null for old rows)
        for name, kind in columns.items():
            con.execute(f'ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "{name}" {kind}')


def create_raw_tables(con: duckdb.DuckDBPyConnection, datasets: Iterable[Dataset]) -> None:
    """Each dataset's raw table and the landing status, with no rows: what the models read before any feed has
    landed (a dbt build's floor; dbt's unit tests need the relations their inputs stand for)."""
    tables = {raw_table(dataset): raw_columns(dataset) for dataset in datasets}
    for table, columns in tables.items():
        _ensure_table(con, table, columns)
    _ensure_table(con, STATUS_TABLE, STATUS_COLUMNS)
    _to_lake(con, {table: [] for table in [*tables, STATUS_TABLE]})


def _to_lake(con: duckdb.DuckDBPyConnection, changed: dict[str, Iterable[date]]) -> None:
    """After a commit: the days of each table that it replaced, written to the lake beside the DuckDB file (none
    for an in-memory database; the landing status's days at the end of a ``lake.batched`` block). A table whose
    lake folder is missing (a warehouse from before the lake, or a folder removed) is written in full. The lake is
    the warehouse's: a disk that fails it is a warehouse fault."""
    lake = lake_of(con)
    if lake is None:
        return
    for table, days in changed.items():
        try:
            keep(con, table, days, lake, may_wait=table == STATUS_TABLE)
        except (OSError, duckdb.Error) as exc:
            raise WarehouseFault(f"cannot write {table} to the Parquet lake in {lake}: {exc}") from exc


def _replace(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], frame: pd.DataFrame,
             where: str, params: list) -> None:
    _ensure_table(con, table, columns)
    con.execute(f"DELETE FROM {table} WHERE {where}", params)
    if len(frame):
        con.register("incoming", frame)
        names = ", ".join(f'"{c}"' for c in columns)
        casts = ", ".join(f'CAST("{c}" AS {t})' for c, t in columns.items())
        con.execute(f"INSERT INTO {table} ({names}) SELECT {casts} FROM incoming")
        con.unregister("incoming")


def land(dataset: Dataset, window: Window, client: FeedClient, raw_dir: Path,
         con: duckdb.DuckDBPyConnection, now: datetime, raise_on_error: bool = True) -> LandingResult:
    """Fetch ``window``, keep every payload verbatim, replace the window's partitions of the raw table.

    Every day of the window gets a status row in ``raw._landing_status``: ``landed``, ``unavailable``
    (the provider does not serve that day), ``no_rows`` (a feed that does not publish daily) or
    ``failed`` (``skipped``, a keyed provider without its key in a live run, is written by :func:`skip`). Raises ``FeedError`` naming the provider, the dataset and the partition window when a
    request fails, a payload does not parse, or a day came back empty. A failed fetch leaves the raw
    table's earlier rows untouched; payloads received before the failure stay on disk and in the manifest.
    With ``raise_on_error=False`` the error is returned in ``result.error`` instead.
    """
    store = PayloadStore(raw_dir, client, dataset, window)
    result = LandingResult(raw_table(dataset), window, store.folder)
    # a weekly feed reads (and replaces) lookback_days before the window; statuses cover the window only
    read = dataset.fetch_window(window)
    replaced = set(dataset.servable_days(read, now))
    held = days_held(client, dataset)
    if held is not None:  # recorded history: a day nothing was recorded for is unavailable, never asked for
        replaced &= held
    servable = {day for day in replaced if day >= window.start}
    error: FeedError | None = None
    try:
        pages = fetch(client, dataset, read, now, on_page=store) if replaced else []
        frame = rows_frame(dataset, read, pages, store.sha_by_page)
    except WarehouseFault:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever one feed's payload does, it is that feed's failure
        error, pages = as_feed_error(dataset, exc).for_partition(dataset.name, str(window)), []
        frame = rows_frame(dataset, read, [], store.sha_by_page)
    fetch_failed = error is not None
    frame = frame[frame["partition_date"].isin(replaced)].reset_index(drop=True)
    counts = frame["partition_date"].value_counts().to_dict()
    result.rows_per_day = {day: int(counts.get(day, 0)) for day in window.days()}
    if error is None:
        result.empty_days = [day for day in sorted(servable) if not result.rows_per_day[day]]
        if result.empty_days and dataset.rows_every_day:
            shown = ", ".join(map(str, result.empty_days[:10])) + (" ..." if len(result.empty_days) > 10 else "")
            error = FeedError(dataset.provider.name, f"no rows for {len(result.empty_days)} day(s): {shown} "
                              f"(payloads kept in {store.folder})", dataset=dataset.name, partition=str(window))
    result.statuses = _statuses(dataset, window, servable, result.rows_per_day, fetch_failed, error)
    con.execute("BEGIN TRANSACTION")
    try:
        _write_manifest(con, store, commit=False)
        columns = raw_columns(dataset)
        _ensure_table(con, result.table, columns)  # downstream models need the table, even empty
        days: list[date] = []
        if not fetch_failed and replaced:
            # replace the servable days only: a day the provider no longer serves keeps what it had
            days = sorted(replaced)
            marks = ", ".join("?" * len(days))
            _replace(con, result.table, columns, frame, f"partition_date IN ({marks})", days)
        status_days = _write_statuses(con, dataset, window, result.table, result.statuses, now)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    _to_lake(con, {result.table: days, STATUS_TABLE: status_days})
    result.pages = len(store.manifest)
    result.payload_bytes = sum(m["bytes"] for m in store.manifest)
    result.rows = int(sum(result.rows_per_day.values()))
    result.error = error
    if error is not None and raise_on_error:
        raise error
    return result


def days_held(client: FeedClient, dataset: Dataset) -> frozenset[date] | None:
    """The days a transport holds for ``dataset`` when it knows (the recorded world), else None (a provider
    is asked and answers for itself)."""
    holds = getattr(client.transport, "days_held", None)
    return None if holds is None else holds(dataset.provider.name, dataset.name)


def as_feed_error(dataset: Dataset, exc: BaseException) -> FeedError:
    """Any failure while fetching or parsing one dataset, as that feed's error: a ``FeedError`` as it is,
    anything else (a corrupt archive, a payload pandas cannot frame, a bug a payload triggers) named with its
    type. The warehouse is not touched before this point, so no warehouse fault is swallowed here."""
    if isinstance(exc, FeedError):
        return exc
    detail = str(exc).splitlines()[0][:300] if str(exc) else ""
    return FeedParseError(dataset.provider.name, f"unexpected {type(exc).__name__} while reading the payload"
                          f"{': ' + detail if detail else ''}", dataset=dataset.name)


def _statuses(dataset: Dataset, window: Window, servable: set[date], rows_per_day: dict[date, int],
              fetch_failed: bool, error: FeedError | None) -> dict[date, tuple[str, str | None]]:
    out: dict[date, tuple[str, str | None]] = {}
    for day in window.days():
        if day not in servable:
            out[day] = ("unavailable", None)
        elif fetch_failed:
            out[day] = ("failed", str(error))
        elif rows_per_day[day]:
            out[day] = ("landed", None)
        elif dataset.rows_every_day:
            out[day] = ("failed", str(error))
        else:
            out[day] = ("no_rows", None)
    return out


def skip(dataset: Dataset, window: Window, con: duckdb.DuckDBPyConnection, reason: str) -> LandingResult:
    """Record every day of ``window`` as ``skipped`` with ``reason`` (a keyed provider without its key in a
    live run); rows landed earlier stay, with their status."""
    table = raw_table(dataset)
    con.execute("BEGIN TRANSACTION")
    try:
        _ensure_table(con, table, raw_columns(dataset))  # downstream models need the table, even empty
        statuses = {day: ("skipped", reason) for day in window.days()}
        status_days = _write_statuses(con, dataset, window, table, statuses)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    _to_lake(con, {table: [], STATUS_TABLE: status_days})
    return LandingResult(table, window, Path(), statuses=statuses)


def _write_statuses(con: duckdb.DuckDBPyConnection, dataset: Dataset, window: Window, table: str,
                    statuses: dict[date, tuple[str, str | None]], as_of: datetime | None = None) -> list[date]:
    """Record each day's outcome, except that a day the provider no longer serves (or a run skipped) but
    which holds rows from an earlier landing keeps that landing's status: the table describes what the raw
    table holds. Returns the days written."""
    unavailable = [day for day, (status, _) in statuses.items() if status in ("unavailable", "skipped")]
    if unavailable:
        marks = ", ".join("?" * len(unavailable))
        kept = {row[0] for row in con.execute(
            f"SELECT DISTINCT partition_date FROM {table} WHERE partition_date IN ({marks})", unavailable).fetchall()}
        statuses = {day: outcome for day, outcome in statuses.items() if day not in kept}
    if not statuses:
        return []
    landed_at = datetime.now(timezone.utc).replace(tzinfo=None)  # when the row was written (wall clock)
    # as of when the provider was asked (the feeds' clock: pinned in a reproducible sample run)
    as_of = as_of.astimezone(timezone.utc).replace(tzinfo=None) if as_of and as_of.tzinfo else (as_of or landed_at)
    frame = pd.DataFrame([{"provider": dataset.provider.name, "dataset": dataset.name, "partition_date": day,
                           "status": status, "error": error, "landed_at": landed_at, "as_of": as_of}
                          for day, (status, error) in statuses.items()], columns=list(STATUS_COLUMNS))
    days = sorted(statuses)
    marks = ", ".join("?" * len(days))
    _replace(con, STATUS_TABLE, STATUS_COLUMNS, frame,
             f"provider = ? AND dataset = ? AND partition_date IN ({marks})",
             [dataset.provider.name, dataset.name, *days])
    return days


#: a day whose outcome was asked for at least this many days after it ended is settled (:func:`settled_days`):
#: late data and revisions arrive within a week of a day's end (the CFTC report of a Tuesday is out on
#: Friday, later in a holiday week), so 8 days leaves a margin. It must be at least
#: ``partitions.SCHEDULE_DAYS - 1``: the day before, the daily run asked for the oldest day of today's window
#: ``SCHEDULE_DAYS - 2`` days (and 30 minutes) after it ended, and a shorter settling age would make the
#: schedule skip days it is there to re-land. A run tagged ``leverage/reland: all`` ignores it
SETTLE_DAYS = 8


def settled_days(con: duckdb.DuckDBPyConnection, dataset: Dataset, window: Window,
                 settle_days: int = SETTLE_DAYS) -> set[date]:
    """Days of ``window`` whose outcome was asked for (``as_of``, the feeds' clock) at least ``settle_days``
    after they ended: what a provider serves for them no longer changes (a day beyond a provider's history
    stays beyond it), so a run re-landing them would fetch the same answer again for nothing. Failed and
    skipped days are never settled: they are retried."""
    try:
        rows = con.execute(f"SELECT partition_date FROM {STATUS_TABLE} WHERE provider = ? AND dataset = ? AND "
                           "status IN ('landed', 'unavailable', 'no_rows') AND partition_date BETWEEN ? AND ? AND "
                           "as_of >= partition_date + to_days(?)",
                           [dataset.provider.name, dataset.name, window.start, window.end, 1 + settle_days]).fetchall()
    except duckdb.CatalogException:
        return set()
    return {row[0] for row in rows}


def days_with_status(con: duckdb.DuckDBPyConnection, dataset: Dataset, window: Window) -> set[date]:
    """Days of ``window`` that any landing has recorded an outcome for."""
    try:
        rows = con.execute(f"SELECT DISTINCT partition_date FROM {STATUS_TABLE} WHERE provider = ? AND dataset = ? "
                           "AND partition_date BETWEEN ? AND ?",
                           [dataset.provider.name, dataset.name, window.start, window.end]).fetchall()
    except duckdb.CatalogException:
        return set()
    return {row[0] for row in rows}


def landing_statuses(con: duckdb.DuckDBPyConnection, provider: str, dataset: str,
                     window: Window) -> dict[str, list[tuple[date, str | None]]]:
    """Days of ``window`` by landing status (``landed``, ``unavailable``, ``no_rows``, ``failed``)."""
    try:
        rows = con.execute(f"SELECT partition_date, status, error FROM {STATUS_TABLE} WHERE provider = ? AND "
                           "dataset = ? AND partition_date >= ? AND partition_date < ? ORDER BY 1",
                           [provider, dataset, *window.half_open]).fetchall()
    except duckdb.CatalogException:
        return {}
    out: dict[str, list[tuple[date, str | None]]] = {}
    for day, status, error in rows:
        out.setdefault(status, []).append((day, error))
    return out


def _write_manifest(con: duckdb.DuckDBPyConnection, store: PayloadStore, commit: bool = True) -> None:
    frame = pd.DataFrame.from_records(store.manifest, columns=list(MANIFEST_COLUMNS))
    where = "provider = ? AND dataset = ? AND window_start = ? AND window_end = ?"
    params = [store.dataset.provider.name, store.dataset.name, store.window.start, store.window.end]
    if commit:
        con.execute("BEGIN TRANSACTION")
    _replace(con, MANIFEST_TABLE, MANIFEST_COLUMNS, frame, where, params)
    if commit:
        con.execute("COMMIT")


def quoted(name: str) -> str:
    """``name`` (``schema.table``, a table or a column) as a quoted DuckDB identifier, part by part."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))

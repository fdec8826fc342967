"""Dagster resources: the DuckDB warehouse and the feed transport. Configuration only via EnvVar."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from orchestration import lake
from orchestration.feeds.http import FeedClient, LiveTransport, ProviderSpec, RateLimiter, Reachability, Transport

_LIVE_LIMITERS: dict[str, RateLimiter] = {}
#: what this process learnt about reaching the providers, shared by every live client (an offline machine is
#: recognised across feeds, not once per feed)
LIVE_REACHABILITY = Reachability()


def live_rate_limiter(spec: ProviderSpec) -> RateLimiter:
    """One limiter per provider per process, shared by every asset that talks to it."""
    return _LIVE_LIMITERS.setdefault(spec.name, RateLimiter.for_provider(spec))


#: warehouse files this process keeps open across steps (:func:`kept_open`), by path
_KEPT_OPEN: dict[Path, duckdb.DuckDBPyConnection] = {}


@contextmanager
def kept_open(duckdb_path: Path) -> Iterator[None]:
    """The warehouse file open in this process until the block ends, for every step's :meth:`WarehouseResource
    .connect` and :meth:`~WarehouseResource.held`: what ``make run`` does around its landing run, whose 30
    steps would otherwise open and close the file 30 times more. Only around a run during which no other
    process opens the file (not the marts run: dbt writes it from a subprocess). The landing status's days in the
    Parquet lake are written once, when the block ends (``lake.batched``), not once per feed."""
    path = Path(duckdb_path).resolve()
    if path in _KEPT_OPEN:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    _KEPT_OPEN[path] = con = duckdb.connect(str(path))
    try:
        with lake.batched(con):  # the landing status's lake days written once, before the file closes
            yield
    finally:
        _KEPT_OPEN.pop(path).close()


class WarehouseResource(dg.ConfigurableResource):
    """The working DuckDB file plus the folders for raw payloads and published snapshots.

    Connections are opened per use and closed at once: DuckDB allows one process at a time on the file, and
    dbt runs in a subprocess against it. A step that connects many times (a feed's landing and its gate, a
    step of gates) keeps the file open for its whole body with :meth:`held`: opening a DuckDB file reads its
    catalog and closing it checkpoints, 20-40 ms each, and a daily run would otherwise open it ~200 times;
    ``make run`` keeps it open across its whole landing run (:func:`kept_open`).
    """

    warehouse_dir: str
    _held: Optional[duckdb.DuckDBPyConnection] = PrivateAttr(default=None)

    @property
    def root(self) -> Path:
        return Path(self.warehouse_dir).resolve()

    @property
    def duckdb_path(self) -> Path:
        return self.root / "leverage.duckdb"

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def lake_dir(self) -> Path:
        """The raw layer as Parquet, one folder per raw table, one file per day (``orchestration.lake``)."""
        return lake.lake_dir(self.root)

    @property
    def published_dir(self) -> Path:
        return self.root / "published"

    @property
    def dbt_target(self) -> Path:
        """dbt's target folder for this warehouse, one for every build (not dagster-dbt's new folder per run,
        ~10 MB each, never removed): the last build's manifest, run results and compiled SQL, dbt.log (rotated
        by dbt), and the parse state the next build starts from. It is the warehouse's, because that state
        is only valid for the warehouse it was parsed with (the profile's path is part of it)."""
        return self.root / "dbt-target"

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection of its own; inside :meth:`held`, a cursor on the held one (``read_only`` is then not
        enforced: the block already holds the file for writing)."""
        shared = self._held or _KEPT_OPEN.get(self.duckdb_path)
        if shared is not None:
            con = shared.cursor()
        else:
            self.root.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(self.duckdb_path), read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def held(self) -> Iterator[None]:
        """The file open from here to the end of the block, for every :meth:`connect` inside it."""
        if self._held is not None or self.duckdb_path in _KEPT_OPEN:
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._held = duckdb.connect(str(self.duckdb_path))
        try:
            yield
        finally:
            held, self._held = self._held, None
            held.close()


class FeedTransportResource(dg.ConfigurableResource):
    """Where feed requests go: ``sample`` (in-process sample world, offline), ``recorded`` (in-process, the
    real recorded series of ``recorded_dir``, offline) or ``live`` (real HTTP).

    ``sample_now`` pins the offline worlds' clock (ISO timestamp) so tests are reproducible; empty means
    the real current time.
    """

    mode: str = "sample"
    sample_now: str = ""
    recorded_dir: str = ""

    def now(self) -> datetime:
        """The clock feeds are read against: pinned in the offline modes if ``sample_now`` is set."""
        if self.mode != "live" and self.sample_now:
            from orchestration.config import pinned_time

            return pinned_time(self.sample_now)
        return datetime.now(timezone.utc)

    def transport(self) -> Transport:
        if self.mode == "live":
            return LiveTransport()
        if self.mode == "recorded":
            from orchestration.config import recorded_dir
            from orchestration.recorded.transport import RecordedTransport
            from orchestration.recorded.world import recorded_world

            return RecordedTransport(recorded_world(self.recorded_dir or str(recorded_dir())), now=self.now())
        if self.mode != "sample":
            raise ValueError(f"unknown feed mode {self.mode!r}: expected 'sample', 'recorded' or 'live'")
        from orchestration.sample.transport import SampleTransport

        return SampleTransport(now=self.now())

    def client(self, spec: ProviderSpec) -> FeedClient:
        """A client for one provider; the sample world needs no politeness, live providers do."""
        if self.is_live:
            return FeedClient(spec, self.transport(), rate_limiter=live_rate_limiter(spec),
                              reachability=LIVE_REACHABILITY)
        return FeedClient(spec, self.transport(), rate_limiter=RateLimiter(0))

    def offline_notice(self) -> str | None:
        """The one line saying the machine looks offline, the first time it does (live mode only)."""
        return LIVE_REACHABILITY.announce() if self.is_live else None

    @property
    def is_live(self) -> bool:
        return self.mode == "live"

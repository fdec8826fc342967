"""Dagster resources: the DuckDB warehouse and the feed transport. Configuration only via EnvVar."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb

from orchestration.feeds.http import FeedClient, LiveTransport, ProviderSpec, RateLimiter, Reachability, Transport

_LIVE_LIMITERS: dict[str, RateLimiter] = {}
#: what this process learnt about reaching the providers, shared by every live client (an offline machine is
#: recognised across feeds, not once per feed)
LIVE_REACHABILITY = Reachability()


def live_rate_limiter(spec: ProviderSpec) -> RateLimiter:
    """One limiter per provider per process, shared by every asset that talks to it."""
    return _LIVE_LIMITERS.setdefault(spec.name, RateLimiter(spec.requests_per_second))


class WarehouseResource(dg.ConfigurableResource):
    """The working DuckDB file plus the folders for raw payloads and published snapshots.

    Connections are opened per use and closed at once: DuckDB allows one writing process, and dbt
    runs in a subprocess against the same file.
    """

    warehouse_dir: str

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
    def published_dir(self) -> Path:
        return self.root / "published"

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        self.root.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.duckdb_path), read_only=read_only)
        try:
            yield con
        finally:
            con.close()


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

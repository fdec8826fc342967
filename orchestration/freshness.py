"""Is the published mart's data recent? Its LATEST DAY against the clock, not the time of its last build.

A rebuild that adds no day (feeds down, gates blocking publication, a window that stops short) still
materializes the assets, so the time of the last materialization says nothing about the data; the date of
the newest row does.

What "30 hours old" is measured from: the END of the mart's latest day. Day D is complete at D+1 00:00 UTC;
the 00:30 UTC schedule lands and publishes it a few minutes later. So in steady state the latest day ended at
most ~24.5 hours ago (just before the next run), and the age falls back under 30 minutes when that run
publishes. 30 hours leaves about 5.5 hours for a slow or retried run; a refresh that did not happen shows as
stale from 06:00 UTC, and a mart whose latest day is D reads stale from D+2 06:00 UTC. (Measured from the
START of the latest day the steady-state age would be 48.5 hours, and 30 hours would always be exceeded.)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import duckdb

MAX_AGE = timedelta(hours=30)
MART = "leverage_condition"


@dataclass(frozen=True)
class MartFreshness:
    latest_day: date | None
    age: timedelta | None  # now - the end of latest_day (its 24:00 UTC)
    max_age: timedelta
    passed: bool
    description: str

    @property
    def metadata(self) -> dict:
        return {"latest_day": self.latest_day.isoformat() if self.latest_day else None,
                "age_hours": round(self.age.total_seconds() / 3600, 2) if self.age is not None else None,
                "max_age_hours": self.max_age.total_seconds() / 3600}


def day_end(day: date) -> datetime:
    """The instant a UTC day is complete: its 24:00, i.e. the next day's 00:00 UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone.utc)


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h"


def mart_freshness(latest_day: date | None, now: datetime, max_age: timedelta = MAX_AGE,
                   where: str = "the published mart") -> MartFreshness:
    """Fresh when the latest day of the mart ended at most ``max_age`` before ``now`` (aware, any zone)."""
    if latest_day is None:
        return MartFreshness(None, None, max_age, False,
                             f"{where} has no day yet: run `make run`, or check that the daily_refresh schedule "
                             "and the build_marts_after_landing sensor are running")
    age = now - day_end(latest_day)
    if age <= max_age:
        return MartFreshness(latest_day, age, max_age, True,
                             f"latest day {latest_day} ended {_hours(age)} ago (allowed {_hours(max_age)})")
    return MartFreshness(latest_day, age, max_age, False,
                         f"{where} is stale: its latest day {latest_day} ended {_hours(age)} ago (allowed "
                         f"{_hours(max_age)}). Check the last runs of land_feeds and build_marts (a failed run, a "
                         "gate blocking publication) and that the daily_refresh schedule is running.")


def latest_published_day(published_dir: Path, table: str = MART) -> date | None:
    """The newest ``date`` of the published Parquet copy of ``table`` (None: not published, or no rows).

    The snapshot is read, not the working database: it is what BI users see, it is replaced atomically, and
    reading it takes no DuckDB lock a running pipeline could trip on."""
    parquet = published_dir / f"{table}.parquet"
    if not parquet.exists():
        return None
    con = duckdb.connect()
    try:
        return con.execute("select max(date) from read_parquet(?)", [str(parquet)]).fetchone()[0]
    finally:
        con.close()

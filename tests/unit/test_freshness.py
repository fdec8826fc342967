"""The mart's freshness: its latest day's END against the clock, 30 hours allowed."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import duckdb

from orchestration.freshness import MAX_AGE, day_end, latest_published_day, mart_freshness

UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_day_ends_at_the_next_midnight_utc():
    assert day_end(date(2026, 12, 5)) == at("2026-12-06T00:00:00")
    assert day_end(date(2024, 2, 29)) == at("2024-03-01T00:00:00")


def test_the_daily_cycle_never_warns_and_a_missed_refresh_warns_from_0600():
    latest = date(2026, 12, 5)  # published by the 00:30 run of 12-06
    assert mart_freshness(latest, at("2026-12-06T00:35:00")).passed
    # just before the next run (00:30 of 12-07) the latest day ended 24.5 h ago: fine
    just_before = mart_freshness(latest, at("2026-12-07T00:29:00"))
    assert just_before.passed and just_before.age == timedelta(hours=24, minutes=29)
    # the run of 12-07 did not publish 12-06: still fine at 06:00, stale after
    assert mart_freshness(latest, at("2026-12-07T06:00:00")).passed  # exactly 30 h
    stale = mart_freshness(latest, at("2026-12-07T06:01:00"))
    assert not stale.passed and stale.age == MAX_AGE + timedelta(minutes=1)
    assert "2026-12-05" in stale.description and "30.0 h" in stale.description and "daily_refresh" in stale.description
    assert stale.metadata == {"latest_day": "2026-12-05", "age_hours": 30.02, "max_age_hours": 30.0}


def test_a_mart_with_no_day_is_not_fresh():
    empty = mart_freshness(None, at("2026-12-07T00:00:00"), where="the published leverage_condition (x.parquet)")
    assert not empty.passed and empty.age is None and empty.latest_day is None
    assert "x.parquet" in empty.description and "make run" in empty.description
    assert empty.metadata["latest_day"] is None and empty.metadata["age_hours"] is None


def test_the_allowance_and_the_clock_zone_are_honoured():
    now = datetime(2026, 12, 7, 7, 0, tzinfo=timezone(timedelta(hours=9)))  # = 2026-12-06 22:00 UTC
    assert mart_freshness(date(2026, 12, 5), now, max_age=timedelta(hours=22)).passed
    assert not mart_freshness(date(2026, 12, 5), now, max_age=timedelta(hours=21)).passed


def test_latest_published_day_reads_the_parquet_copy(tmp_path):
    assert latest_published_day(tmp_path) is None  # nothing published yet
    con = duckdb.connect()
    con.execute(f"copy (select * from (values (date '2026-12-04'), (date '2026-12-05'), (null::date)) t(date)) "
                f"to '{tmp_path / 'leverage_condition.parquet'}' (format parquet)")
    con.execute(f"copy (select date '2026-12-01' as date where false) to '{tmp_path / 'empty.parquet'}' "
                "(format parquet)")
    con.close()
    assert latest_published_day(tmp_path) == date(2026, 12, 5)
    assert latest_published_day(tmp_path, "empty") is None  # published with no rows

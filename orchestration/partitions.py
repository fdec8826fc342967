"""The landing partitions (one per UTC month) and the window of days a run covers.

Why months, not days: Dagster records events per partition per asset even in a single-run backfill, so six
years of daily partitions cost ~2,150 events per landing asset (minutes of bookkeeping for ``make run``);
monthly partitions cost ~70. A day keeps its own outcome (landed, failed and why, unavailable) in
``raw._landing_status`` and in the materialization's metadata, and a run can land any range of days inside
its months: the run's window tags (``leverage/window_start``, ``leverage/window_end``) narrow it, which is
how the daily schedule re-lands only its last days and how a single failed day is re-run from the UI.
"""
from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from orchestration.config import PARTITIONS_START, every_day
from orchestration.days import Window

#: one landing partition per UTC month; the month in progress is included (its complete days land daily)
MONTHLY = dg.MonthlyPartitionsDefinition(start_date=PARTITIONS_START.isoformat(), timezone="UTC", end_offset=1)
#: a backfill of a range is one run over the range, never one run per day
SINGLE_RUN = dg.BackfillPolicy.single_run()
#: the daily schedule's length: it re-lands this many days ending with the latest complete one, so data that
#: arrives late (the CFTC report of a Tuesday is out on Friday, later in a holiday week: within 8 days) and
#: days a feed failed on fill in by themselves; re-landing a day that is already complete changes nothing.
#: When a day stops being re-landed by any run is another rule: ``raw_store.SETTLE_DAYS``
SCHEDULE_DAYS = 8


def window_from_keys(start_key: str, end_key: str) -> Window:
    return Window(date.fromisoformat(start_key), date.fromisoformat(end_key))


def month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def months_window(start_key: str, end_key: str) -> Window:
    """Every day of the months from partition key ``start_key`` through ``end_key``."""
    return Window(date.fromisoformat(start_key[:10]), month_end(date.fromisoformat(end_key[:10])))


def narrowed(window: Window, tags, latest: date | None = None) -> Window | None:
    """``window`` cut to the run's window tags (if any) and to ``latest``; None when nothing is left."""
    start, end = window.start, window.end
    if WINDOW_START_TAG in tags and WINDOW_END_TAG in tags:
        start = max(start, date.fromisoformat(tags[WINDOW_START_TAG]))
        end = min(end, date.fromisoformat(tags[WINDOW_END_TAG]))
    if latest is not None:
        end = min(end, latest)
    return Window(start, end) if start <= end else None


def window_from_context(context, latest: date | None = None) -> Window | None:
    """The days a partitioned (landing) run covers, from an asset or check context: its months, narrowed
    to the run's window tags and to ``latest``."""
    key_range = context.partition_key_range
    return narrowed(months_window(key_range.start, key_range.end), context.run.tags, latest)


#: a landing run tagged ``leverage/reland: all`` re-lands settled days too (see ``raw_store.settled_days``)
RELAND_TAG = "leverage/reland"

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"
#: the window of an unpartitioned run (the marts job), set from the landing run it follows
WINDOW_START_TAG = "leverage/window_start"
WINDOW_END_TAG = "leverage/window_end"


def window_from_tags(tags) -> Window | None:
    """A run's window from its tags: our window tags, else the months of Dagster's partition range or
    single partition (a landing run launched from the UI)."""
    if WINDOW_START_TAG in tags and WINDOW_END_TAG in tags:
        return window_from_keys(tags[WINDOW_START_TAG], tags[WINDOW_END_TAG])
    for start, end in ((RANGE_START_TAG, RANGE_END_TAG), (PARTITION_TAG, PARTITION_TAG)):
        if start in tags and end in tags:
            return months_window(tags[start], tags[end])
    return None


def run_window(context, default: Window | None = None) -> Window:
    """The window of the run an *unpartitioned* asset runs in, else ``default``, by default every day up to
    the latest complete one (``config.every_day``: e.g. a plain materialization from the UI)."""
    return window_from_tags(context.run.tags) or default or every_day()


def scheduled_window(latest_complete_day: date, days: int = SCHEDULE_DAYS) -> Window:
    """The window the daily run lands: the last ``days`` days up to the latest complete one."""
    start = max(PARTITIONS_START, latest_complete_day - timedelta(days=days - 1))
    return Window(start, latest_complete_day)


def window_tags(window: Window) -> dict[str, str]:
    """Run tags giving an unpartitioned run (the marts job) its window."""
    return {WINDOW_START_TAG: window.start.isoformat(), WINDOW_END_TAG: window.end.isoformat()}


def month_key(day: date) -> str:
    return day.replace(day=1).isoformat()


def range_tags(window: Window) -> dict[str, str]:
    """Run tags that make one landing run cover exactly ``window``: the range of its months, narrowed by
    the window tags."""
    return {RANGE_START_TAG: month_key(window.start), RANGE_END_TAG: month_key(window.end), **window_tags(window)}


"""The landing partitions (one per UTC year) and the window of days a run covers.

Why years, not days or months: Dagster records an event per partition per asset even in a single-run
backfill (about 2 ms each on the in-memory instance ``make run`` uses), so six years of daily partitions cost
~2,150 events per landing asset and monthly ones ~72, 2,160 for the 30 feeds (~5 s of a six-year run); yearly
ones cost 6. A partition is only Dagster's bookkeeping of what ran: a day keeps its own outcome (landed,
failed and why, unavailable) in ``raw._landing_status`` and in the materialization's metadata, and a run can
land any range of days inside its years: the run's window tags (``leverage/window_start``,
``leverage/window_end``) narrow it, which is how the daily schedule re-lands only its last days and how a
single failed day is re-run from the UI. A whole year launched from the UI without tags re-lands only the
days that are not settled yet (``raw_store.settled_days``).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import dagster as dg

from orchestration.config import PARTITIONS_START, every_day
from orchestration.days import Window

#: one landing partition per UTC year, keyed by the year ("2024"); the year in progress is included (its
#: complete days land daily)
YEARLY = dg.TimeWindowPartitionsDefinition(start=datetime.combine(PARTITIONS_START, time(), timezone.utc),
                                           cron_schedule="0 0 1 1 *", fmt="%Y", timezone="UTC", end_offset=1)
#: a backfill of a range is one run over the range, never one run per day
SINGLE_RUN = dg.BackfillPolicy.single_run()
#: the daily schedule's length: it re-lands this many days ending with the latest complete one, so data that
#: arrives late (the CFTC report of a Tuesday is out on Friday, later in a holiday week: within 8 days) and
#: days a feed failed on fill in by themselves; re-landing a day that is already complete changes nothing.
#: When a day stops being re-landed by any run is another rule: ``raw_store.SETTLE_DAYS``
SCHEDULE_DAYS = 8


def window_from_keys(start_key: str, end_key: str) -> Window:
    return Window(date.fromisoformat(start_key), date.fromisoformat(end_key))


def partitions_window(start_key: str, end_key: str) -> Window:
    """Every day of the landing partitions ``start_key`` through ``end_key``."""
    first, last = YEARLY.time_window_for_partition_key(start_key), YEARLY.time_window_for_partition_key(end_key)
    return Window(first.start.date(), last.end.date() - timedelta(days=1))


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
    """The days a partitioned (landing) run covers, from an asset or check context: its years, narrowed
    to the run's window tags and to ``latest``."""
    key_range = context.partition_key_range
    return narrowed(partitions_window(key_range.start, key_range.end), context.run.tags, latest)


#: a landing run tagged ``leverage/reland: all`` re-lands settled days too (see ``raw_store.settled_days``)
RELAND_TAG = "leverage/reland"

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"
#: the window of an unpartitioned run (the marts job), set from the landing run it follows
WINDOW_START_TAG = "leverage/window_start"
WINDOW_END_TAG = "leverage/window_end"


def window_from_tags(tags) -> Window | None:
    """A run's window from its tags: our window tags, else the years of Dagster's partition range or
    single partition (a landing run launched from the UI)."""
    if WINDOW_START_TAG in tags and WINDOW_END_TAG in tags:
        return window_from_keys(tags[WINDOW_START_TAG], tags[WINDOW_END_TAG])
    for start, end in ((RANGE_START_TAG, RANGE_END_TAG), (PARTITION_TAG, PARTITION_TAG)):
        if start in tags and end in tags:
            return partitions_window(tags[start], tags[end])
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


def partition_key(day: date) -> str:
    """The key of the landing partition that holds ``day``."""
    return YEARLY.get_partition_key_for_timestamp(datetime.combine(day, time(), timezone.utc).timestamp())


def range_tags(window: Window) -> dict[str, str]:
    """Run tags that make one landing run cover exactly ``window``: the range of its years, narrowed by
    the window tags."""
    return {RANGE_START_TAG: partition_key(window.start), RANGE_END_TAG: partition_key(window.end),
            **window_tags(window)}

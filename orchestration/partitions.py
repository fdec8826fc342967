"""The one daily partitioning every asset shares, and the window a run covers."""
from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from orchestration.config import PARTITIONS_START
from orchestration.feeds.base import Window

#: one partition per UTC day; the last partition is the latest *complete* day
DAILY = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START.isoformat(), timezone="UTC")
#: a backfill of a range is one run over the range, never one run per day
SINGLE_RUN = dg.BackfillPolicy.single_run()
#: the daily run re-lands this many days ending with the latest complete one: data that arrives late (the
#: CFTC report of a Tuesday is out on Friday, later in a holiday week) and days a feed failed on fill in
#: by themselves, and re-landing a day that is already complete changes nothing
RELAND_DAYS = 8


def window_from_keys(start_key: str, end_key: str) -> Window:
    return Window(date.fromisoformat(start_key), date.fromisoformat(end_key))


def window_from_context(context) -> Window:
    """The run's partition window (a single key or a range), from an asset or check context."""
    key_range = context.partition_key_range
    return window_from_keys(key_range.start, key_range.end)


RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"
#: the window of an unpartitioned run (the marts job), set from the landing run it follows
WINDOW_START_TAG = "leverage/window_start"
WINDOW_END_TAG = "leverage/window_end"


def window_from_tags(tags) -> Window | None:
    """A run's window from its tags: our window tags, else Dagster's partition range or single partition."""
    for start, end in ((WINDOW_START_TAG, WINDOW_END_TAG), (RANGE_START_TAG, RANGE_END_TAG),
                       (PARTITION_TAG, PARTITION_TAG)):
        if start in tags and end in tags:
            return window_from_keys(tags[start], tags[end])
    return None


def run_window(context, default: Window) -> Window:
    """The window of the run an *unpartitioned* asset runs in, else ``default`` (e.g. a plain
    materialization from the UI: everything up to the latest complete day)."""
    return window_from_tags(context.run.tags) or default


def scheduled_window(latest_complete_day: date, days: int = RELAND_DAYS) -> Window:
    """The window the daily run lands: the last ``days`` days up to the latest complete one."""
    start = max(PARTITIONS_START, latest_complete_day - timedelta(days=days - 1))
    return Window(start, latest_complete_day)


def window_tags(window: Window) -> dict[str, str]:
    """Run tags giving an unpartitioned run (the marts job) its window."""
    return {WINDOW_START_TAG: window.start.isoformat(), WINDOW_END_TAG: window.end.isoformat()}


def range_tags(window: Window) -> dict[str, str]:
    """Run tags that make one run materialize every partition of ``window``."""
    return {RANGE_START_TAG: window.start.isoformat(), RANGE_END_TAG: window.end.isoformat()}

"""The one daily partitioning every asset shares, and the window a run covers."""
from __future__ import annotations

from datetime import date

import dagster as dg

from orchestration.config import PARTITIONS_START
from orchestration.feeds.base import Window

#: one partition per UTC day; the last partition is the latest *complete* day
DAILY = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START.isoformat(), timezone="UTC")
#: a backfill of a range is one run over the range, never one run per day
SINGLE_RUN = dg.BackfillPolicy.single_run()


def window_from_keys(start_key: str, end_key: str) -> Window:
    return Window(date.fromisoformat(start_key), date.fromisoformat(end_key))


def window_from_context(context) -> Window:
    """The run's partition window (a single key or a range), from an asset or check context."""
    key_range = context.partition_key_range
    return window_from_keys(key_range.start, key_range.end)


def range_tags(window: Window) -> dict[str, str]:
    """Run tags that make one run materialize every partition of ``window``."""
    return {"dagster/asset_partition_range_start": window.start.isoformat(),
            "dagster/asset_partition_range_end": window.end.isoformat()}

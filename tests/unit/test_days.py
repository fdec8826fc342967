"""The one range-of-days type, the one default window, and the schedule's length apart from settling."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from orchestration import config, partitions, raw_store
from orchestration.days import Window
from orchestration.feeds import base


def test_a_window_is_inclusive_and_derives_its_half_open_bounds():
    window = Window(date(2024, 2, 28), date(2024, 3, 1))
    assert window.days() == [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]
    assert window.stop == date(2024, 3, 2) and window.half_open == (date(2024, 2, 28), date(2024, 3, 2))
    assert window.end_dt == datetime(2024, 3, 2, tzinfo=timezone.utc)
    assert (window.start_ms, window.end_ms) == (base.to_ms(window.start_dt), base.to_ms(window.end_dt))
    one = Window(date(2024, 3, 1), date(2024, 3, 1))
    assert one.half_open == (date(2024, 3, 1), date(2024, 3, 2)) and str(one) == "2024-03-01"
    assert str(window) == "2024-02-28..2024-03-01"
    with pytest.raises(ValueError, match="window end 2024-02-27 is before its start 2024-02-28"):
        Window(date(2024, 2, 28), date(2024, 2, 27))


def test_the_connectors_import_the_same_type():
    assert base.Window is Window


def test_every_day_is_the_one_default_window():
    now = datetime(2024, 8, 16, 0, 30, tzinfo=timezone.utc)
    assert config.every_day(now) == Window(config.PARTITIONS_START, date(2024, 8, 15))
    assert config.default_window("sample", config.DEFAULT_RECORDED_DIR, now) == config.every_day(now)

    class Untagged:
        class run:
            tags: dict = {}

    assert partitions.run_window(Untagged()) == config.every_day()


def test_the_schedule_length_and_the_settling_age_are_separate_rules():
    latest = date(2024, 3, 1)
    # the schedule's length: how many days the daily run re-lands
    assert len(partitions.scheduled_window(latest).days()) == partitions.SCHEDULE_DAYS
    assert partitions.scheduled_window(latest, days=3) == Window(date(2024, 2, 28), latest)
    # the settling age is the default of settled_days, not the schedule's length
    assert raw_store.settled_days.__defaults__ == (raw_store.SETTLE_DAYS,)
    # the day before, the daily run asked for the oldest day of today's window SCHEDULE_DAYS - 2 days and 30
    # minutes after it ended: that day must not be settled yet, or the schedule would skip it
    asked_after = partitions.SCHEDULE_DAYS - 2
    assert raw_store.SETTLE_DAYS > asked_after

"""The one range-of-days type: :class:`Window`, an inclusive range of UTC days.

Inclusive because that is how users and run tags speak (``--start 2024-01-01 --end 2024-01-31``,
``leverage/window_end``); code that needs half-open bounds (SQL ``>= start and < stop``, timestamps) derives
them from the same object (:attr:`Window.stop`, :attr:`Window.end_dt`) instead of carrying a second type.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone


@dataclass(frozen=True)
class Window:
    """An inclusive range of UTC days: the partitions one landing run covers, the days a marts run builds."""

    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"window end {self.end} is before its start {self.start}")

    @property
    def stop(self) -> date:
        """Exclusive end: the day after the last one (``partition_date >= start and < stop``)."""
        return self.end + timedelta(days=1)

    @property
    def half_open(self) -> tuple[date, date]:
        """``(start, stop)``: the bounds of the days as [start, stop), for APIs that take them."""
        return self.start, self.stop

    @property
    def start_dt(self) -> datetime:
        return datetime.combine(self.start, time(), tzinfo=timezone.utc)

    @property
    def end_dt(self) -> datetime:
        """Exclusive end: midnight after the last day."""
        return datetime.combine(self.stop, time(), tzinfo=timezone.utc)

    @property
    def start_ms(self) -> int:
        from orchestration.feeds.base import to_ms  # the one epoch-ms rule (feeds.base imports this module)

        return to_ms(self.start_dt)

    @property
    def end_ms(self) -> int:
        from orchestration.feeds.base import to_ms

        return to_ms(self.end_dt)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}..{self.end}"

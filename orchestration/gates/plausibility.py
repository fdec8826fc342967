"""Plausibility: each key series bounded against its *own recent history*, as pure pandas.

A suite's ``meta.plausibility`` block names the day column, the value columns with the statistic that makes
one value a day (``{"oi_btc": "median"}``), the columns that split a table into series (a venue, a contract),
the trailing lookback and the history a comparison needs. From those, :func:`daily_frame` derives one row per
day and series with the columns ``__daily__<col>`` (the day's value), ``__vs_trailing_median__<col>`` (the day
over the median of the previous ``lookback_days``), ``__vs_previous_day__<col>`` (over the previous day's),
and ``__minus_trailing_median__<col>`` / ``__minus_previous_day__<col>`` (differences, for series like funding
whose level sits near zero, where a ratio means nothing). The suite's expectations on those derived columns
(any column starting with ``__``) are then judged by Great Expectations on that frame like any other. Nothing
here imports Great Expectations or is specific to one table.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DAY = "day"  # the day column of the derived frame
DERIVED_PREFIX = "__"
#: derived column kinds: ``__<kind>__<value column>``
KINDS = ("daily", "vs_trailing_median", "vs_previous_day", "minus_trailing_median", "minus_previous_day")
STATS = ("median", "mean", "sum", "max", "min")


def derived_column(kind: str, column: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown derived kind {kind!r}: one of {', '.join(KINDS)}")
    return f"{DERIVED_PREFIX}{kind}__{column}"


def is_derived(column: Any) -> bool:
    return isinstance(column, str) and column.startswith(DERIVED_PREFIX)


def parse_derived(column: str) -> tuple[str, str]:
    """``__vs_trailing_median__oi_btc`` -> ("vs_trailing_median", "oi_btc")."""
    for kind in KINDS:
        prefix = f"{DERIVED_PREFIX}{kind}__"
        if column.startswith(prefix):
            return kind, column[len(prefix):]
    raise ValueError(f"{column!r} is not a derived column (__<kind>__<column>, kinds: {', '.join(KINDS)})")


@dataclass(frozen=True)
class Plausibility:
    """A suite's ``meta.plausibility`` block: how its table becomes daily series."""

    day_column: str  # the column whose date is the row's day (partition_date, or the mart's date)
    series: dict[str, str]  # value column -> the statistic of its rows that is the day's value
    group_by: tuple[str, ...] = ()  # columns that split the table into separate series (venue, contract)
    lookback_days: int = 30  # the trailing median covers the previous lookback_days calendar days
    min_history_days: int = 5  # days with a value the trailing median needs, else no comparison that day
    max_gap_days: int = 3  # the previous value counts as "the previous day" only this many days back

    @classmethod
    def from_suite(cls, data: dict[str, Any]) -> "Plausibility | None":
        block = (data.get("meta") or {}).get("plausibility")
        if not block:
            return None
        series = dict(block["series"])
        bad = {c: stat for c, stat in series.items() if stat not in STATS}
        if bad:
            raise ValueError(f"suite {data.get('name')!r}: unknown daily statistic(s) {bad} (one of {STATS})")
        out = cls(day_column=block["day_column"], series=series, group_by=tuple(block.get("group_by", ())),
                  lookback_days=int(block.get("lookback_days", 30)),
                  min_history_days=int(block.get("min_history_days", 5)),
                  max_gap_days=int(block.get("max_gap_days", 3)))
        if out.lookback_days < 1 or out.min_history_days < 1 or out.max_gap_days < 1:
            raise ValueError(f"suite {data.get('name')!r}: lookback, history and gap must be >= 1 day")
        return out

    def columns(self) -> list[str]:
        return [derived_column(kind, column) for column in self.series for kind in KINDS]

    def needs(self) -> list[str]:
        """The table's columns the derived frame is built from."""
        return [self.day_column, *self.group_by, *self.series]


def days_of(values: "pd.Series") -> "pd.Series":
    """Midnight (naive UTC) of each value: dates, naive or aware timestamps alike."""
    import pandas as pd

    stamps = pd.to_datetime(values)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.dt.normalize()


def in_window(values: "pd.Series", window: tuple[date, date]) -> "pd.Series":
    """Which values fall on a day of ``window`` = (start, end exclusive)."""
    import pandas as pd

    days = days_of(values)
    return (days >= pd.Timestamp(window[0])) & (days < pd.Timestamp(window[1]))


def reference_bands(on_days: list[dict]) -> dict[str, list[tuple[str, Any, Any]]]:
    """Per value column, the bounds of its level against the trailing median (ratio and difference kinds)
    among the suite's derived expectations: a day outside them is no reference for the next day's move."""
    bands: dict[str, list[tuple[str, Any, Any]]] = {}
    for e in on_days:
        kwargs = e.get("kwargs", {})
        if e.get("type") != "expect_column_values_to_be_between" or "row_condition" in kwargs:
            continue
        kind, column = parse_derived(kwargs["column"])
        if kind in ("vs_trailing_median", "minus_trailing_median"):
            bands.setdefault(column, []).append((kind, kwargs.get("min_value"), kwargs.get("max_value")))
    return bands


def without(df: "pd.DataFrame", config: Plausibility, rejected: dict[str, Any]) -> "pd.DataFrame":
    """The columns the derived frame needs, with the rows ``rejected`` (value column -> boolean mask aligned
    with ``df``: the rows its own row bounds rejected) blanked: those rows fail their row rule, and a day is
    judged against its history on the values that passed it."""
    import pandas as pd

    out = df[config.needs()].copy()
    for column, mask in rejected.items():
        if column in config.series:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float).mask(mask)
    return out


def daily_frame(df: "pd.DataFrame", config: Plausibility,
                reference_bands: dict[str, list[tuple[str, Any, Any]]] | None = None) -> "pd.DataFrame":
    """One row per day and series (``group_by``): the day's value of each series and how it compares with
    the trailing median of the previous ``lookback_days`` and with the previous day. A comparison is null
    (not checked) without enough history (``min_history_days``), across a gap longer than ``max_gap_days``,
    and, for ratios, against a median or previous value that is not positive. With ``reference_bands``
    (column -> [(kind, low, high)], kinds ``vs_trailing_median`` / ``minus_trailing_median``), a previous
    day whose own level lies outside them is no reference: a bad day is reported once, not again as the
    next day's "move" back to normal."""
    import numpy as np
    import pandas as pd

    groups = list(config.group_by)
    work = pd.DataFrame({DAY: days_of(df[config.day_column])})
    for column in groups:
        work[column] = df[column].to_numpy()
    for column in config.series:
        work[column] = pd.to_numeric(df[column], errors="coerce").astype(float).to_numpy()
    work = work[work[DAY].notna()]
    grouped = work.groupby([DAY, *groups], dropna=False, sort=True)
    agg = grouped.agg(**{derived_column("daily", c): (c, stat) for c, stat in config.series.items()})
    counts = grouped[list(config.series)].count()
    for column in config.series:  # a day without a single value has no value (a sum would say 0)
        agg[derived_column("daily", column)] = agg[derived_column("daily", column)].where(counts[column] > 0)
    agg = agg.reset_index()
    parts = []
    for _, part in (agg.groupby(groups, dropna=False, sort=True) if groups else [((), agg)]):
        part = part.sort_values(DAY).reset_index(drop=True)
        index = pd.DatetimeIndex(part[DAY])
        gap = pd.Series(index, index=index).diff().dt.days.to_numpy()
        for column in config.series:
            level = pd.Series(part[derived_column("daily", column)].to_numpy(float), index=index)
            median = level.rolling(f"{config.lookback_days}D", closed="left",
                                   min_periods=config.min_history_days).median().to_numpy()
            value = level.to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(median > 0, value / median, np.nan)
            difference = value - median
            trusted = np.ones(len(value), dtype=bool)
            for kind, low, high in (reference_bands or {}).get(column, []):
                against = ratio if kind == "vs_trailing_median" else difference
                if low is not None:
                    trusted &= ~(against < low)
                if high is not None:
                    trusted &= ~(against > high)
            reference = np.where(trusted, value, np.nan)
            previous = np.full(len(value), np.nan)
            previous[1:] = np.where(gap[1:] <= config.max_gap_days, reference[:-1], np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                part[derived_column("vs_trailing_median", column)] = ratio
                part[derived_column("vs_previous_day", column)] = np.where(previous > 0, value / previous, np.nan)
            part[derived_column("minus_trailing_median", column)] = difference
            part[derived_column("minus_previous_day", column)] = value - previous
        parts.append(part)
    columns = [DAY, *groups, *config.columns()]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]

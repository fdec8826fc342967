"""A failure in words: which column or series, on which days, how far off, and what the rule allows.

The rows and days come from whoever judged them (Great Expectations' unexpected rows, the structural check's
nulls); this module only words them, so a rule is never decided twice.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from orchestration.feeds.base import day_runs
from orchestration.gates.plausibility import DAY, Plausibility, parse_derived

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def days_text(days: list[Any], limit: int = 8) -> str:
    """ISO days, runs of consecutive days as ``first..last``: ``2024-02-01..2024-02-03, 2024-02-09``."""
    parsed = sorted({d if isinstance(d, date) and not isinstance(d, datetime) else date.fromisoformat(str(d)[:10])
                     for d in days})
    runs = day_runs(parsed)
    parts = [str(run) for run in runs]
    if len(parts) > limit:
        more = sum(len(run.days()) for run in runs[limit:])
        parts = parts[:limit] + [f"and {more} more day{'s' if more > 1 else ''}"]
    return ", ".join(parts)


def _exponent(text: str) -> str:
    """``1e+07`` -> ``1e7``, ``5e-05`` -> ``5e-5``."""
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2), text)


def number(value: Any) -> str:
    """A figure as a person reads it: three significant digits, exponents for the very large or small."""
    if value is None or (isinstance(value, float) and value != value):
        return "null"
    value = float(value)
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return _exponent(f"{value:.3g}")
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.1f}"
    return f"{value:.3g}"


def bounds_text(kwargs: dict[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is None and high is None:
        return "no bounds"
    if low is None:
        return f"up to {_exponent(f'{float(high):g}')}"
    if high is None:
        return f"from {_exponent(f'{float(low):g}')}"
    return f"{_exponent(f'{float(low):g}')}..{_exponent(f'{float(high):g}')}"


def row_rule(type_: str, column: str | None, kwargs: dict[str, Any], days: list[str], rows: int,
             sample_values: list[Any]) -> str | None:
    """A row rule's failure in words (bounds, nulls, sets), or None where GE's own description says it best."""
    on = f"on {days_text(days)}" if days else ""
    plural = "s" if rows > 1 else ""
    sample = (f", e.g. {', '.join(number(v) if isinstance(v, (int, float)) else repr(v) for v in sample_values[:3])}"
              if sample_values else "")
    if type_ == "expect_column_values_to_be_between":
        return f"{column} {on}: {rows} row{plural} outside its absolute bounds {bounds_text(kwargs)}{sample}"
    if type_ == "expect_column_values_to_not_be_null":
        return f"{column} {on}: {rows} null value{plural}"
    if type_ == "expect_column_values_to_be_in_set":
        return f"{column} {on}: {rows} row{plural} not in {kwargs.get('value_set')}{sample}"
    return None


_RULES = {
    "daily": "{label} on {days} is {values} (allowed {bounds})",
    "vs_trailing_median": "{label} on {days} is {values} its trailing {lookback}-day median (allowed {bounds})",
    "vs_previous_day": "{label} on {days} is {values} the day before (allowed {bounds})",
    "minus_trailing_median": "{label} on {days} is {values} off its trailing {lookback}-day median "
                             "(allowed {bounds})",
    "minus_previous_day": "{label} on {days} moved {values} from the day before (allowed {bounds})",
}


def daily_rule(column: str, kwargs: dict[str, Any], bad: "pd.DataFrame", config: Plausibility) -> str:
    """A history-relative failure in words, one sentence per series: the days, how far off, what is allowed.
    ``bad`` holds the derived frame's rows that broke the rule on the derived ``column``."""
    kind, value_column = parse_derived(column)
    stat = config.series.get(value_column, "median")
    ratio = kind.startswith("vs_")
    sentences = []
    for key, part in (bad.groupby(list(config.group_by), dropna=False, sort=True) if config.group_by
                      else [((), bad)]):
        key = key if isinstance(key, tuple) else (key,)
        where = ", ".join(f"{g}={v}" for g, v in zip(config.group_by, key))
        label = value_column + (f" [{where}]" if where else "") + ("" if stat == "median" else f" (daily {stat})")
        values = part[column].astype(float)
        shown = [number(v) + ("x" if ratio else "") if ratio or v < 0 else "+" + number(v)
                 for v in (values.min(), values.max())]
        text = shown[0] if shown[0] == shown[1] else f"{shown[0]}..{shown[1]}"
        rule = _RULES[kind]
        if kind.endswith("previous_day") and config.max_gap_days > 3:  # weekly reports: no "day before"
            rule = rule.replace("the day before", f"its previous value (<= {config.max_gap_days} days before)")
        sentences.append(rule.format(label=label, days=days_text([d.date() for d in part[DAY]]), values=text,
                                     lookback=config.lookback_days, bounds=bounds_text(kwargs)))
    return "; ".join(sentences)

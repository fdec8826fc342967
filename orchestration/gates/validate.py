"""One gate: a table's frame against its structure and its suite, into a :class:`GateReport`.

The rows and days a rule rejects are always its judge's own answer: the structural check's null masks, Great
Expectations' unexpected rows (for the table's rows, and for the derived daily frame of the plausibility
rules); this module only maps them to days and hands them to :mod:`orchestration.gates.explain`.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.gates import runtime
from orchestration.gates.explain import daily_rule, row_rule
from orchestration.gates.plausibility import DAY, daily_frame, days_of, in_window, reference_bands, without
from orchestration.gates.report import FailedExpectation, GateReport
from orchestration.gates.structure import check, structure_of
from orchestration.gates.suites import Suite, suite, table_of

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_BETWEEN = "expect_column_values_to_be_between"


def validate(
    df: "pd.DataFrame", suite_name: str, expectations_dir: Path | None = None, *,
    window: tuple[date, date] | None = None, table: str | None = None,
) -> GateReport:
    """Validate ``df`` against suite ``suite_name``; never raises on bad data, only on a missing/invalid suite.

    ``window`` = (start, end exclusive): with a plausibility block, ``df`` may hold days before the window
    (the trailing history its medians need); the row rules then run on the window's rows only and the
    history-relative ones on the window's days only. ``table`` names the table in :meth:`GateReport.messages`.
    """
    spec = suite(suite_name, expectations_dir)  # loading first surfaces a bad suite before GE runs
    config = spec.plausibility
    inside = None
    rows = df
    if window is not None and config is not None:
        inside = in_window(df[config.day_column], window).to_numpy()
        rows = df[inside]
    day_column = config.day_column if config else next(
        (c for c in ("partition_date", "date") if c in df.columns), None)
    days = rows[day_column] if day_column in rows.columns else None  # read only where a rule failed

    evaluated, failed = 0, []
    structure = structure_of(suite_name)
    if structure is not None:
        evaluated, broken = check(rows, structure)
        failed += [_on_days(b.failed, [] if b.rows is None else b.rows.to_numpy().nonzero()[0].tolist(), days)
                   for b in broken]
    regex_columns = {e["kwargs"].get("column") for e in spec.on_rows if e["type"].endswith("_match_regex")}
    count, verdicts = runtime.run(runtime.prepare(rows, spec.columns_read(), regex_columns), spec.ge("rows"))
    evaluated += count
    failed += [_on_days(v.failed, v.rows, days) for v in verdicts]
    if spec.on_days and all(c in df.columns for c in config.needs()):
        # what the row bounds reject is reported by them; the history-relative rules judge the rest
        rejected = rejected_by_bounds(df, spec, verdicts, inside)
        daily = daily_frame(without(df, config, rejected), config, reference_bands(spec.on_days))
        if window is not None:
            daily = daily[in_window(daily[DAY], window)].reset_index(drop=True)
        if len(daily):
            count, day_verdicts = runtime.run(daily, spec.ge("days"))
            evaluated += count
            failed += [_in_words(v.failed, daily.iloc[v.rows], spec) for v in day_verdicts]
    return GateReport(suite=suite_name, success=not failed, evaluated=evaluated, failed=failed,
                      row_count=int(len(rows)), table=table or table_of(suite_name))


def _bounds_verdict(f: FailedExpectation, series: dict[str, str]) -> bool:
    return f.type == _BETWEEN and f.column in series and not f.kwargs.get("row_condition")


def rejected_by_bounds(df: "pd.DataFrame", spec: Suite, verdicts: list[runtime.Verdict],
                        inside) -> dict[str, object]:
    """Value column -> the rows of ``df`` (a boolean array) its own unconditional row bounds rejected: GE's
    verdicts on the window's rows, and, for the history before the window (which the row rules do not report
    on), GE's verdict of those same bounds on the history rows."""
    import numpy as np

    series = spec.plausibility.series
    where = np.arange(len(df)) if inside is None else np.flatnonzero(inside)
    found = [(v.failed.column, where[v.rows]) for v in verdicts if _bounds_verdict(v.failed, series)]
    if inside is not None and not inside.all() and spec.row_bounds():
        history = np.flatnonzero(~inside)
        bounds = [spec.on_rows[i] for i in spec.row_bounds()]
        frame = runtime.prepare(df.iloc[history], list(dict.fromkeys(e["kwargs"]["column"] for e in bounds)),
                                set())
        _, past = runtime.run(frame, spec.ge("bounds"))
        found += [(v.failed.column, history[v.rows]) for v in past if _bounds_verdict(v.failed, series)]
    rejected: dict[str, object] = {}
    for column, positions in found:
        mask = rejected.setdefault(column, np.zeros(len(df), dtype=bool))
        mask[positions] = True
    return rejected


def _on_days(f: FailedExpectation, positions: list[int], days: "pd.Series | None") -> FailedExpectation:
    """A row rule's failure with the days of the rows its judge rejected (``positions`` in ``days``, the rows'
    day column) and, where it has one, a rule in words."""
    if f.error or not positions or days is None:
        return f
    on = sorted({d.date().isoformat() for d in days_of(days.iloc[positions]).dropna()})
    return replace(f, days=on, rule=row_rule(f.type, f.column, f.kwargs, on, len(positions), f.sample_values))


def _in_words(f: FailedExpectation, bad: "pd.DataFrame", spec: Suite) -> FailedExpectation:
    """A history-relative failure with its days, in words: which series, how far off, what is allowed."""
    if f.error or not f.column or bad.empty:
        return f
    return replace(f, days=sorted({d.date().isoformat() for d in bad[DAY]}),
                   rule=daily_rule(f.column, f.kwargs, bad, spec.plausibility))

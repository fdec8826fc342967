"""What a gate found: one :class:`FailedExpectation` per broken rule, gathered in a :class:`GateReport`.

Plain dataclasses of plain values, so a report travels into Dagster metadata and JSON unchanged; the words a
person reads are :mod:`orchestration.gates.explain`'s.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from orchestration.gates.explain import days_text


@dataclass(frozen=True)
class FailedExpectation:
    type: str  # e.g. "expect_column_values_to_be_between" (structural rules use GE's names too)
    column: str | None  # the column(s) it concerns ("a,b" for pair / compound expectations)
    kwargs: dict[str, Any]
    unexpected_count: int | None  # rows that broke it (None for table-level expectations)
    unexpected_percent: float | None  # of non-null rows, as GE reports it
    sample_values: list[Any] = field(default_factory=list)  # a few offending values, JSON-safe
    observed_value: Any = None  # for aggregate expectations (row count, ...)
    error: str | None = None  # the expectation could not run (e.g. missing column)
    days: list[str] = field(default_factory=list)  # the days (ISO) of the offending rows, where known
    rule: str | None = None  # the failure in words: the series, the days, the value and what is allowed

    def describe(self) -> str:
        """The failure as Great Expectations reports it (type, column, counts), with its days."""
        target = f"({self.column})" if self.column else ""
        on = f" on {days_text(self.days)}" if self.days else ""
        if self.error:
            return f"{self.type}{target}: error: {self.error}"
        if self.type == "expect_column_to_exist":
            return f"{self.type}{target}: column missing"
        if self.unexpected_count is not None:
            pct = f" ({self.unexpected_percent:.2f}%)" if self.unexpected_percent is not None else ""
            sample = f", e.g. {self.sample_values}" if self.sample_values else ""
            return f"{self.type}{target}: {self.unexpected_count} unexpected rows{pct}{sample}{on}"
        return f"{self.type}{target}: observed {self.observed_value!r}{on}"

    def explain(self) -> str:
        """The failure in words where it has a rule (plausibility, bounds, nulls, sets), else :meth:`describe`."""
        return self.rule or self.describe()


@dataclass(frozen=True)
class GateReport:
    suite: str
    success: bool
    evaluated: int  # rules evaluated: the structural ones and the suite's expectations
    failed: list[FailedExpectation]
    row_count: int
    note: str | None = None  # set when the gate failed for a reason outside the suite (e.g. empty window)
    table: str | None = None  # the table validated, named in :meth:`messages`

    @property
    def blocked_days(self) -> list[str]:
        """Every day (ISO) a failed expectation names, sorted."""
        return sorted({day for f in self.failed for day in f.days})

    def messages(self) -> list[str]:
        """One line per failure: the table, the days and the rule (``raw.x: oi_btc on 2024-02-20 is ...``)."""
        prefix = f"{self.table}: " if self.table else ""
        return [prefix + f.explain() for f in self.failed]

    def to_metadata(self) -> dict[str, Any]:
        """A flat dict of plain values (str / int / float / bool) for Dagster metadata.

        ``failed_expectations`` is a human-readable summary (one line per failure); each failure also
        gets its own key ``failed[i] <type>(<column>)`` whose value is the unexpected row count (or the
        observed value / error text for table-level expectations and errors).
        """
        meta: dict[str, Any] = {
            "suite": self.suite,
            "success": self.success,
            "row_count": self.row_count,
            "expectations_evaluated": self.evaluated,
            "expectations_failed": len(self.failed),
            "failed_expectations": "\n".join(f.describe() for f in self.failed) or "none",
        }
        if self.failed:
            meta["rules_broken"] = "\n".join(self.messages())
            meta["blocked_days"] = days_text(self.blocked_days, limit=20) or "unknown"
        if self.note:
            meta["note"] = self.note
        for i, f in enumerate(self.failed):
            key = f"failed[{i}] {f.type}" + (f"({f.column})" if f.column else "")
            if f.error:
                meta[key] = f"error: {f.error}"
            elif f.type == "expect_column_to_exist":
                meta[key] = "column missing"
            elif f.unexpected_count is not None:
                meta[key] = int(f.unexpected_count)
            else:
                observed = plain(f.observed_value)
                meta[key] = observed if isinstance(observed, (int, float, str, bool)) else str(observed)
        return meta

    def failures_by_expectation(self) -> dict[tuple[str, str | None], FailedExpectation]:
        """The failed expectations keyed by (type, column): what broke, to look up by name."""
        return {(f.type, f.column): f for f in self.failed}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def empty_report(suite: str, note: str) -> GateReport:
    """A failed report for a window with no rows (nothing landed = nothing to trust); no GE needed."""
    return GateReport(suite=suite, success=False, evaluated=0, failed=[], row_count=0, note=note)


def plain(v: Any) -> Any:
    """JSON-safe plain value (numpy / pandas scalars, timestamps, NaN)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [plain(x) for x in v]
    item = getattr(v, "item", None)  # numpy scalar
    if callable(item):
        try:
            return plain(item())
        except (ValueError, TypeError):
            pass
    iso = getattr(v, "isoformat", None)  # pandas Timestamp
    if callable(iso):
        return iso()
    return str(v)

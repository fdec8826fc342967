"""Great Expectations gates: validate a pandas DataFrame against a suite stored in ``expectations/``.

Pure (no Dagster). Suites are GE 1.x JSON (what ``ExpectationSuite.to_json_dict()`` writes), one file per
gated table, ``expectations/<suite>.json``. Great Expectations is imported lazily (the import takes seconds)
and its ephemeral context, pandas datasource and batch definition are built once per process, so
validating several tables pays for one import.

Plausibility: besides bounds on each row, a suite may bound each key series against its *own recent
history*. Its ``meta.plausibility`` block names the day column, the value columns with the statistic that
makes one value a day (``{"oi_btc": "median"}``), the columns that split a table into series (a venue, a
contract), the trailing lookback and the history a comparison needs. From those, :func:`daily_frame` derives
one row per day and series with the columns ``__daily__<col>`` (the day's value), ``__vs_trailing_median__<col>``
(the day over the median of the previous ``lookback_days``), ``__vs_previous_day__<col>`` (over the previous
day's), and ``__minus_trailing_median__<col>`` / ``__minus_previous_day__<col>`` (differences, for series like
funding whose level sits near zero, where a ratio means nothing). The suite's expectations on those derived
columns (any column starting with ``__``) are validated by Great Expectations on that daily frame, for the
window's days only; the history before the window (read by the caller, see ``lookback_days``) feeds the
medians but is not validated again. One mechanism for every table: nothing here is specific to one.
"""
from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.config import EXPECTATIONS_DIR
from orchestration.feeds.base import day_runs

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from great_expectations.core.expectation_suite import ExpectationSuite

SAMPLE_SIZE = 5  # unexpected values kept per failed expectation
_SUITE_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_DATASOURCE = "gates"
_ASSET = "frame"
_BATCH = "whole_frame"


# --------------------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class FailedExpectation:
    type: str  # e.g. "expect_column_values_to_be_between"
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
    evaluated: int  # expectations evaluated
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
                observed = _plain(f.observed_value)
                meta[key] = observed if isinstance(observed, (int, float, str, bool)) else str(observed)
        return meta

    def failures_by_expectation(self) -> dict[tuple[str, str | None], FailedExpectation]:
        """The failed expectations keyed by (type, column): what broke, to look up by name."""
        return {(f.type, f.column): f for f in self.failed}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------------------------- suites


def suite_path(name: str, expectations_dir: Path | None = None) -> Path:
    if not _SUITE_NAME.match(name):
        raise ValueError(f"invalid suite name {name!r}: letters, digits and underscores only")
    return Path(expectations_dir or EXPECTATIONS_DIR) / f"{name}.json"


def suite_names(expectations_dir: Path | None = None) -> list[str]:
    return sorted(p.stem for p in Path(expectations_dir or EXPECTATIONS_DIR).glob("*.json"))


def load_suite_dict(name: str, expectations_dir: Path | None = None) -> dict[str, Any]:
    path = suite_path(name, expectations_dir)
    if not path.exists():
        raise FileNotFoundError(f"no expectation suite {name!r} at {path}")
    data = json.loads(path.read_text())
    if data.get("name") != name:
        raise ValueError(f"{path}: suite name {data.get('name')!r} does not match the file name {name!r}")
    return data


def load_suite(name: str, expectations_dir: Path | None = None) -> "ExpectationSuite":
    """The suite as a GE ``ExpectationSuite`` (imports Great Expectations)."""
    from great_expectations.core.expectation_suite import ExpectationSuite

    data = load_suite_dict(name, expectations_dir)
    return ExpectationSuite(
        name=data["name"],
        expectations=data.get("expectations", []),
        suite_parameters=data.get("suite_parameters") or None,
        meta=data.get("meta") or None,
        notes=data.get("notes"),
    )


# --------------------------------------------------------------------------------------------- GE


class _GE:
    """The process-wide ephemeral GE context with one pandas dataframe asset and batch definition."""

    def __init__(self) -> None:
        import great_expectations as gx

        self.gx = gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = gx.get_context(mode="ephemeral")
        # no tqdm bars in Dagster logs / pytest output
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        datasource = self.context.data_sources.add_pandas(name=_DATASOURCE)
        asset = datasource.add_dataframe_asset(name=_ASSET)
        self.batch_definition = asset.add_batch_definition_whole_dataframe(_BATCH)


_ge_instance: _GE | None = None
_ge_lock = threading.RLock()


def _ge() -> _GE:
    global _ge_instance
    with _ge_lock:
        if _ge_instance is None:
            _ge_instance = _GE()
        return _ge_instance


def _prepare(df: "pd.DataFrame", text_columns: set[str]) -> "pd.DataFrame":
    """A copy with timezone-aware timestamps converted to naive UTC, so string/regex checks see UTC, and the
    timestamp columns a regex reads rendered in one fixed form: pandas prints a column whose values are all
    midnight as bare dates, which a pattern for 'the hour' would wrongly reject."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_convert("UTC").dt.tz_localize(None)
        if col in text_columns and pd.api.types.is_datetime64_any_dtype(out[col].dtype):
            # microseconds always written: '.000000' is what the patterns accept, anything else is shown
            text = out[col].dt.strftime("%Y-%m-%d %H:%M:%S.%f")
            out[col] = text.where(out[col].notna(), None)
    return out


def validate(
    df: "pd.DataFrame", suite: str, expectations_dir: Path | None = None, *,
    window: tuple[date, date] | None = None, table: str | None = None,
) -> GateReport:
    """Validate ``df`` against suite ``suite``; never raises on bad data, only on a missing/invalid suite.

    ``window`` = (start, end exclusive): with a plausibility block, ``df`` may hold days before the window
    (the trailing history its medians need); the row expectations then run on the window's rows only and the
    history-relative ones on the window's days only. ``table`` names the table in :meth:`GateReport.messages`.
    """
    data = load_suite_dict(suite, expectations_dir)  # loading first surfaces a bad suite before GE runs
    plausibility = Plausibility.from_suite(data)
    on_rows = [e for e in data.get("expectations", []) if not is_derived(e.get("kwargs", {}).get("column"))]
    on_days = [e for e in data.get("expectations", []) if is_derived(e.get("kwargs", {}).get("column"))]
    if on_days and plausibility is None:
        raise ValueError(f"suite {suite!r} has expectations on derived columns but no meta.plausibility block")
    rows = df
    if window is not None and plausibility is not None:
        rows = df[in_window(df[plausibility.day_column], window)]
    day_column = plausibility.day_column if plausibility else next(
        (c for c in ("partition_date", "date") if c in df.columns), None)
    regex_columns = {e["kwargs"].get("column") for e in on_rows if e["type"].endswith("_match_regex")}
    prepared = _prepare(rows, regex_columns)
    results = _run(prepared, suite, data, on_rows)
    failed = [_annotate(_failed(r), prepared, rows, day_column) for r in results if not r.success]
    evaluated = len(results)
    if on_days and all(c in df.columns for c in plausibility.needs()):
        # what the row bounds reject is reported by them; the history-relative rules judge the rest
        values = _within_row_bounds(df, on_rows, plausibility)
        daily = daily_frame(values, plausibility, reference_bands=_reference_bands(on_days))
        if window is not None:
            daily = daily[in_window(daily[DAY], window)].reset_index(drop=True)
        if len(daily):
            day_results = _run(daily, f"{suite}__plausibility", data, on_days)
            evaluated += len(day_results)
            failed += [_annotate_daily(_failed(r), daily, plausibility) for r in day_results if not r.success]
    return GateReport(
        suite=suite,
        success=not failed,
        evaluated=evaluated,
        failed=failed,
        row_count=int(len(rows)),
        table=table or table_of(suite),
    )


def _run(frame: "pd.DataFrame", name: str, data: dict[str, Any], expectations: list[dict]) -> list[Any]:
    """Great Expectations results of ``expectations`` (suite JSON dicts) on ``frame``."""
    from great_expectations.core.expectation_suite import ExpectationSuite

    ge_suite = ExpectationSuite(name=name, expectations=expectations, meta=data.get("meta") or None,
                                notes=data.get("notes"))
    with _ge_lock:
        ge = _ge()
        ge_suite = ge.context.suites.add_or_update(ge_suite)
        definition = ge.gx.ValidationDefinition(name=f"gate_{name}", data=ge.batch_definition, suite=ge_suite)
        definition = ge.context.validation_definitions.add_or_update(definition)
        result = definition.run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20},
        )
    return list(result.results)


def table_of(suite: str) -> str:
    """The table a suite is named after: ``raw_bybit__open_interest`` -> ``raw.bybit__open_interest``,
    ``leverage_condition`` -> ``main.leverage_condition`` (the inverse of the naming in definitions)."""
    return f"raw.{suite[4:]}" if suite.startswith("raw_") else f"main.{suite}"


# --------------------------------------------------------------------------------------------- plausibility

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


def plausibility(suite: str, expectations_dir: Path | None = None) -> Plausibility | None:
    return Plausibility.from_suite(load_suite_dict(suite, expectations_dir))


def lookback_days(suite: str, expectations_dir: Path | None = None) -> int:
    """How many days before a window a gate must read for the suite's history-relative expectations."""
    config = plausibility(suite, expectations_dir)
    return config.lookback_days if config else 0


def _days(values: "pd.Series") -> "pd.Series":
    """Midnight (naive UTC) of each value: dates, naive or aware timestamps alike."""
    import pandas as pd

    stamps = pd.to_datetime(values)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.dt.normalize()


def in_window(values: "pd.Series", window: tuple[date, date]) -> "pd.Series":
    import pandas as pd

    days = _days(values)
    return (days >= pd.Timestamp(window[0])) & (days < pd.Timestamp(window[1]))


def _within_row_bounds(df: "pd.DataFrame", on_rows: list[dict], config: Plausibility) -> "pd.DataFrame":
    """The columns the derived frame needs, with values outside their column's own row bounds (the suite's
    unconditional ``expect_column_values_to_be_between``) blanked: those rows fail the row expectation, and
    a day is judged against its history on the values that passed it."""
    out = df[config.needs()].copy()
    for e in on_rows:
        column = e.get("kwargs", {}).get("column")
        if (e.get("type") == "expect_column_values_to_be_between" and column in config.series
                and "row_condition" not in e["kwargs"]):
            import pandas as pd

            values = pd.to_numeric(out[column], errors="coerce").astype(float)
            out[column] = values.mask(_between_mask(values, e["kwargs"]))
    return out


def _reference_bands(on_days: list[dict]) -> dict[str, list[tuple[str, Any, Any]]]:
    """Per value column, the bounds of its level against the trailing median (ratio and difference kinds):
    a day outside them is no reference for the next day's move."""
    bands: dict[str, list[tuple[str, Any, Any]]] = {}
    for e in on_days:
        kwargs = e.get("kwargs", {})
        if e.get("type") != "expect_column_values_to_be_between" or "row_condition" in kwargs:
            continue
        kind, column = parse_derived(kwargs["column"])
        if kind in ("vs_trailing_median", "minus_trailing_median"):
            bands.setdefault(column, []).append((kind, kwargs.get("min_value"), kwargs.get("max_value")))
    return bands


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
    work = pd.DataFrame({DAY: _days(df[config.day_column])})
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


# --------------------------------------------------------------------------------------------- words


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


def _num(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    value = float(value)
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2),
                      f"{value:.3g}")
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.1f}"
    return f"{value:.3g}"


def _bound(value: Any) -> str:
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2),
                  f"{float(value):g}")


def _bounds(kwargs: dict[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is None and high is None:
        return "no bounds"
    if low is None:
        return f"up to {_bound(high)}"
    if high is None:
        return f"from {_bound(low)}"
    return f"{_bound(low)}..{_bound(high)}"


def _between_mask(values: "pd.Series", kwargs: dict[str, Any]) -> "pd.Series":
    """The rows ``expect_column_values_to_be_between`` rejects (nulls are not checked, as in GE)."""
    import pandas as pd

    values = pd.to_numeric(values, errors="coerce")
    bad = pd.Series(False, index=values.index)
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None:
        bad |= values <= low if kwargs.get("strict_min") else values < low
    if high is not None:
        bad |= values >= high if kwargs.get("strict_max") else values > high
    return bad & values.notna()


def _offending(frame: "pd.DataFrame", f: FailedExpectation) -> "pd.Series | None":
    """The rows a failed column-map expectation rejects, where its semantics are simple enough to redo."""
    import pandas as pd

    kwargs = f.kwargs
    subset = frame
    condition = kwargs.get("row_condition")
    if condition:
        text = condition.get("pass_through_filter") if isinstance(condition, dict) else condition
        try:
            subset = frame.query(str(text))
        except Exception:  # noqa: BLE001 - a condition we cannot redo: no days, the GE counts stand
            return None
    column = kwargs.get("column")
    try:
        if f.type == "expect_column_values_to_be_between":
            mask = _between_mask(subset[column], kwargs)
        elif f.type == "expect_column_values_to_not_be_null":
            mask = subset[column].isna()
        elif f.type == "expect_column_values_to_be_null":
            mask = subset[column].notna()
        elif f.type == "expect_column_values_to_be_in_set":
            mask = subset[column].notna() & ~subset[column].isin(list(kwargs.get("value_set") or []))
        elif f.type == "expect_column_values_to_match_regex":
            mask = subset[column].notna() & ~subset[column].astype(str).str.contains(kwargs["regex"], regex=True)
        elif f.type == "expect_column_values_to_be_unique":
            mask = subset[column].notna() & subset[column].duplicated(keep=False)
        elif f.type == "expect_compound_columns_to_be_unique":
            mask = subset.duplicated(list(kwargs["column_list"]), keep=False)
        else:
            return None
    except (KeyError, TypeError, ValueError, re.error):
        return None
    return mask.reindex(frame.index, fill_value=False).astype(bool)


def _annotate(f: FailedExpectation, prepared: "pd.DataFrame", rows: "pd.DataFrame",
              day_column: str | None) -> FailedExpectation:
    """A row expectation's failure with the days of its offending rows and, for bounds, a rule in words."""
    from dataclasses import replace

    if f.error or day_column is None or day_column not in rows.columns:
        return f
    mask = _offending(prepared, f)
    if mask is None or not mask.any():
        return f
    days = sorted({d.date().isoformat() for d in _days(rows.loc[mask.to_numpy(), day_column]).dropna()})
    on = f"on {days_text(days)}" if days else ""
    n = int(mask.sum())
    sample = f", e.g. {', '.join(_num(v) if isinstance(v, (int, float)) else repr(v) for v in f.sample_values[:3])}" \
        if f.sample_values else ""
    column = f.column
    rule = None
    if f.type == "expect_column_values_to_be_between":
        rule = f"{column} {on}: {n} row{'s' if n > 1 else ''} outside its absolute bounds {_bounds(f.kwargs)}{sample}"
    elif f.type == "expect_column_values_to_not_be_null":
        rule = f"{column} {on}: {n} null value{'s' if n > 1 else ''}"
    elif f.type == "expect_column_values_to_be_in_set":
        rule = f"{column} {on}: {n} row{'s' if n > 1 else ''} not in {f.kwargs.get('value_set')}{sample}"
    return replace(f, days=days, rule=rule)


_RULES = {
    "daily": "{label} on {days} is {values} (allowed {bounds})",
    "vs_trailing_median": "{label} on {days} is {values} its trailing {lookback}-day median (allowed {bounds})",
    "vs_previous_day": "{label} on {days} is {values} the day before (allowed {bounds})",
    "minus_trailing_median": "{label} on {days} is {values} off its trailing {lookback}-day median "
                             "(allowed {bounds})",
    "minus_previous_day": "{label} on {days} moved {values} from the day before (allowed {bounds})",
}


def _annotate_daily(f: FailedExpectation, daily: "pd.DataFrame", config: Plausibility) -> FailedExpectation:
    """A history-relative failure in words: which series, which days, how far off, what is allowed."""
    from dataclasses import replace

    if f.error or not f.column or not is_derived(f.column):
        return f
    kind, column = parse_derived(f.column)
    mask = _offending(daily, f)
    if mask is None or not mask.any():
        return f
    bad = daily[mask.to_numpy()]
    days = sorted({d.date().isoformat() for d in bad[DAY]})
    stat = config.series.get(column, "median")
    ratio = kind.startswith("vs_")
    sentences = []
    for key, part in (bad.groupby(list(config.group_by), dropna=False, sort=True) if config.group_by
                      else [((), bad)]):
        key = key if isinstance(key, tuple) else (key,)
        where = ", ".join(f"{g}={v}" for g, v in zip(config.group_by, key))
        label = column + (f" [{where}]" if where else "") + ("" if stat == "median" else f" (daily {stat})")
        values = part[f.column].astype(float)
        low, high = values.min(), values.max()
        shown = [_num(v) + ("x" if ratio else "") if ratio or v < 0 else "+" + _num(v) for v in (low, high)]
        text = shown[0] if shown[0] == shown[1] else f"{shown[0]}..{shown[1]}"
        rule = _RULES[kind]
        if kind.endswith("previous_day") and config.max_gap_days > 3:  # weekly reports: no "day before"
            rule = rule.replace("the day before", f"its previous value (<= {config.max_gap_days} days before)")
        sentences.append(rule.format(
            label=label, days=days_text([d.date() for d in part[DAY]]), values=text,
            lookback=config.lookback_days, bounds=_bounds(f.kwargs)))
    return replace(f, days=days, rule="; ".join(sentences))


def empty_report(suite: str, note: str) -> GateReport:
    """A failed report for a window with no rows (nothing landed = nothing to trust); no GE needed."""
    return GateReport(suite=suite, success=False, evaluated=0, failed=[], row_count=0, note=note)


def _failed(r: Any) -> FailedExpectation:
    cfg = r.expectation_config
    kwargs = {k: _plain(v) for k, v in dict(cfg.kwargs).items() if k not in ("batch_id",)}
    res = dict(r.result or {})
    error = None
    info = r.exception_info or {}
    if isinstance(info, dict) and info.get("raised_exception"):
        error = str(info.get("exception_message") or "expectation raised")[:500]
    elif isinstance(info, dict):  # GE may key exception info by metric
        for v in info.values():
            if isinstance(v, dict) and v.get("raised_exception"):
                error = str(v.get("exception_message") or "expectation raised")[:500]
                break
    sample = res.get("partial_unexpected_list") or []
    # de-duplicate while preserving order, keep a few
    seen: list[Any] = []
    for v in sample:
        pv = _plain(v)
        if pv not in seen:
            seen.append(pv)
        if len(seen) >= SAMPLE_SIZE:
            break
    pct = res.get("unexpected_percent")
    return FailedExpectation(
        type=cfg.type,
        column=_column(kwargs),
        kwargs=kwargs,
        unexpected_count=None if res.get("unexpected_count") is None else int(res["unexpected_count"]),
        unexpected_percent=None if pct is None else round(float(pct), 4),
        sample_values=seen,
        observed_value=_plain(res.get("observed_value")),
        error=error,
    )


def _column(kwargs: dict[str, Any]) -> str | None:
    if kwargs.get("column"):
        return str(kwargs["column"])
    if kwargs.get("column_A") and kwargs.get("column_B"):
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if kwargs.get("column_list"):
        return ",".join(map(str, kwargs["column_list"]))
    return None


def _plain(v: Any) -> Any:
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
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [_plain(x) for x in v]
    item = getattr(v, "item", None)  # numpy scalar
    if callable(item):
        try:
            return _plain(item())
        except (ValueError, TypeError):
            pass
    iso = getattr(v, "isoformat", None)  # pandas Timestamp
    if callable(iso):
        return iso()
    return str(v)

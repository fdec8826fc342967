"""Great Expectations gates: validate a pandas DataFrame against a suite stored in ``expectations/``.

Pure (no Dagster). Suites are GE 1.x JSON (what ``ExpectationSuite.to_json_dict()`` writes), one file per
gated table, ``expectations/<suite>.json``. Great Expectations is imported lazily (the import takes seconds)
and its ephemeral context, pandas datasource and batch definition are built once per process, so
validating several tables pays for one import.
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

    def describe(self) -> str:
        target = f"({self.column})" if self.column else ""
        if self.error:
            return f"{self.type}{target}: error: {self.error}"
        if self.type == "expect_column_to_exist":
            return f"{self.type}{target}: column missing"
        if self.unexpected_count is not None:
            pct = f" ({self.unexpected_percent:.2f}%)" if self.unexpected_percent is not None else ""
            sample = f", e.g. {self.sample_values}" if self.sample_values else ""
            return f"{self.type}{target}: {self.unexpected_count} unexpected rows{pct}{sample}"
        return f"{self.type}{target}: observed {self.observed_value!r}"


@dataclass(frozen=True)
class GateReport:
    suite: str
    success: bool
    evaluated: int  # expectations evaluated
    failed: list[FailedExpectation]
    row_count: int
    note: str | None = None  # set when the gate failed for a reason outside the suite (e.g. empty window)

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
    df: "pd.DataFrame", suite: str, expectations_dir: Path | None = None
) -> GateReport:
    """Validate ``df`` against suite ``suite``; never raises on bad data, only on a missing/invalid suite."""
    ge_suite = load_suite(suite, expectations_dir)  # loading first surfaces a bad suite before GE runs
    regex_columns = {e.column for e in ge_suite.expectations if e.expectation_type.endswith("_match_regex")}
    frame = _prepare(df, regex_columns)
    with _ge_lock:
        ge = _ge()
        ge_suite = ge.context.suites.add_or_update(ge_suite)
        definition = ge.gx.ValidationDefinition(
            name=f"gate_{suite}", data=ge.batch_definition, suite=ge_suite
        )
        definition = ge.context.validation_definitions.add_or_update(definition)
        result = definition.run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20},
        )
    failed = [_failed(r) for r in result.results if not r.success]
    return GateReport(
        suite=suite,
        success=bool(result.success),
        evaluated=len(result.results),
        failed=failed,
        row_count=int(len(df)),
    )


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

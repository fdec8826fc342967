"""The Great Expectations runtime: one ephemeral context per process, a frame in, GE's verdicts out.

Great Expectations is imported lazily (the import takes seconds) and its context, pandas datasource and
batch definition are built once per process. Suites are validated on a batch directly (nothing is saved to
the context's stores: saving a suite compares every expectation with every other and cost more than
validating). A failed expectation's result comes back COMPLETE: it names its unexpected rows
(``unexpected_index_list``), so the failing days are GE's own answer, never re-derived here.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orchestration.gates.ge_import import great_expectations
from orchestration.gates.report import FailedExpectation, plain

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from great_expectations.core.expectation_suite import ExpectationSuite

SAMPLE_SIZE = 5  # unexpected values kept per failed expectation
_DATASOURCE = "gates"
_ASSET = "frame"
_BATCH = "whole_frame"
_VERDICT_ONLY = {"result_format": "BOOLEAN_ONLY"}
_COMPLETE = {"result_format": "COMPLETE", "partial_unexpected_count": 20}


class _GE:
    """The process-wide ephemeral GE context with one pandas dataframe asset and batch definition."""

    def __init__(self) -> None:
        gx = great_expectations()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = gx.get_context(mode="ephemeral")
        # no tqdm bars in Dagster logs / pytest output
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        datasource = self.context.data_sources.add_pandas(name=_DATASOURCE)
        asset = datasource.add_dataframe_asset(name=_ASSET)
        self.batch_definition = asset.add_batch_definition_whole_dataframe(_BATCH)


_instance: _GE | None = None
_lock = threading.RLock()


def context() -> _GE:
    """The process's GE context, built on first use."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = _GE()
        return _instance


@dataclass(frozen=True)
class Verdict:
    """One failed expectation and the positions (in the frame validated) of the rows GE rejected."""

    failed: FailedExpectation
    rows: list[int]


def prepare(df: "pd.DataFrame", columns: list[str] | None, text_columns: set[str]) -> "pd.DataFrame":
    """What GE is handed: only ``columns`` (all when None), positions as the index (GE's unexpected rows are
    index labels: positions map them back to any frame), timezone-aware timestamps as naive UTC so string and
    regex checks see UTC, and the timestamp columns a regex reads rendered in one fixed form (pandas prints a
    column whose values are all midnight as bare dates, which a pattern for 'the hour' would wrongly reject)."""
    import pandas as pd

    out = (df if columns is None else df[[c for c in columns if c in df.columns]]).reset_index(drop=True)
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_convert("UTC").dt.tz_localize(None)
        if col in text_columns and pd.api.types.is_datetime64_any_dtype(out[col].dtype):
            # microseconds always written: '.000000' is what the patterns accept, anything else is shown
            text = out[col].dt.strftime("%Y-%m-%d %H:%M:%S.%f")
            out[col] = text.where(out[col].notna(), None)
    return out


def run(frame: "pd.DataFrame", suite: "ExpectationSuite") -> tuple[int, list[Verdict]]:
    """Validate ``frame`` (as :func:`prepare` leaves it) against ``suite``: how many expectations ran, and a
    :class:`Verdict` per failed one. The whole suite runs in GE's BOOLEAN_ONLY format (each expectation's
    verdict and no more: a quarter cheaper than BASIC, half the cost of the formats that list rows); only a
    failed expectation runs again, COMPLETE, for its counts, values and unexpected rows."""
    with _lock:
        batch = context().batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format=_VERDICT_ONLY)
        rerun = [batch.validate(r.expectation_config.to_domain_obj(), result_format=_COMPLETE)
                 for r in result.results if not r.success]
    verdicts = [Verdict(failed(r), [int(i) for i in (r.result or {}).get("unexpected_index_list") or []])
                for r in rerun]
    return len(result.results), verdicts


def failed(r: Any) -> FailedExpectation:
    """A GE expectation result as a :class:`FailedExpectation` (counts, a few values, the error if it raised)."""
    cfg = r.expectation_config
    kwargs = {k: plain(v) for k, v in dict(cfg.kwargs).items() if k not in ("batch_id",)}
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
    seen: list[Any] = []  # de-duplicated in order, a few
    for v in res.get("partial_unexpected_list") or []:
        pv = plain(v)
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
        observed_value=plain(res.get("observed_value")),
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

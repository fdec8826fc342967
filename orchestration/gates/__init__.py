"""Great Expectations gates: validate a table's pandas frame against its structure and its suite.

Pure (no Dagster), one module per job:
- :mod:`.suites`: ``expectations/<suite>.json`` (GE 1.x JSON, value rules only), read once per process;
- :mod:`.structure`: the columns and nulls a raw table must have, from ``Dataset.columns`` / ``nullable``;
- :mod:`.plausibility`: the derived daily frame that bounds each series against its own history (pandas);
- :mod:`.runtime`: one GE context per process; a frame in, GE's verdicts and their unexpected rows out;
- :mod:`.validate`: one gate, from frame to :class:`GateReport`;
- :mod:`.report` and :mod:`.explain`: what failed, and the failure in words.
"""
from orchestration.gates.explain import days_text
from orchestration.gates.plausibility import (DAY, KINDS, STATS, Plausibility, daily_frame, derived_column,
                                              in_window, is_derived, parse_derived)
from orchestration.gates.report import FailedExpectation, GateReport, empty_report
from orchestration.gates.structure import Structure, structure_of
from orchestration.gates.suites import (load_suite, load_suite_dict, lookback_days, plausibility, suite_names,
                                        suite_path, table_of)
from orchestration.gates.validate import validate

__all__ = ["DAY", "KINDS", "STATS", "FailedExpectation", "GateReport", "Plausibility", "Structure", "daily_frame",
           "days_text", "derived_column", "empty_report", "in_window", "is_derived", "load_suite", "load_suite_dict",
           "lookback_days", "parse_derived", "plausibility", "structure_of", "suite_names", "suite_path", "table_of",
           "validate"]

"""Suites: ``expectations/<suite>.json``, one per gated table, in GE 1.x's own JSON (what
``ExpectationSuite.to_json_dict()`` writes), and which of their expectations judge rows and which judge days.

A suite holds value rules only (bounds, sets, patterns, uniqueness, plausibility): a table's structure (its
columns and which may be null) is owned elsewhere, see :mod:`orchestration.gates.structure`. Suites are read
once per process: a gate that runs every day should not parse JSON and build GE objects every time.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.config import EXPECTATIONS_DIR
from orchestration.gates.ge_import import great_expectations
from orchestration.gates.plausibility import Plausibility, is_derived

if TYPE_CHECKING:  # pragma: no cover
    from great_expectations.core.expectation_suite import ExpectationSuite

_SUITE_NAME = re.compile(r"^[A-Za-z0-9_]+$")


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


def ge_suite(name: str, expectations: list[dict], data: dict[str, Any]) -> "ExpectationSuite":
    """A GE ``ExpectationSuite`` of ``expectations`` (suite JSON dicts); imports Great Expectations."""
    great_expectations()
    from great_expectations.core.expectation_suite import ExpectationSuite

    return ExpectationSuite(name=name, expectations=expectations, suite_parameters=data.get("suite_parameters")
                            or None, meta=data.get("meta") or None, notes=data.get("notes"))


def load_suite(name: str, expectations_dir: Path | None = None) -> "ExpectationSuite":
    """The suite as a GE ``ExpectationSuite`` (imports Great Expectations)."""
    data = load_suite_dict(name, expectations_dir)
    return ge_suite(data["name"], data.get("expectations", []), data)


@dataclass(frozen=True)
class Suite:
    """A suite split by what its expectations judge; its GE suites built once, on first use."""

    name: str
    data: dict[str, Any]
    plausibility: Plausibility | None
    on_rows: list[dict]  # expectations on the table's own columns
    on_days: list[dict]  # expectations on the derived daily frame (columns starting with ``__``)
    _built: dict[str, "ExpectationSuite"] = field(default_factory=dict, repr=False, compare=False)

    def ge(self, part: str) -> "ExpectationSuite":
        """The GE suite of the row expectations (``part="rows"``), of the daily ones (``"days"``) or of the row
        bounds on the plausibility series (``"bounds"``, see :meth:`row_bounds`)."""
        if part not in self._built:
            expectations = {"rows": self.on_rows, "days": self.on_days,
                            "bounds": [self.on_rows[i] for i in self.row_bounds()]}[part]
            self._built[part] = ge_suite(f"{self.name}__{part}", expectations, self.data)
        return self._built[part]

    def row_bounds(self) -> list[int]:
        """Positions in ``on_rows`` of the unconditional bounds on a plausibility series: the rows they reject
        are blanked before the day's value is taken."""
        series = self.plausibility.series if self.plausibility else {}
        return [i for i, e in enumerate(self.on_rows) if e["type"] == "expect_column_values_to_be_between"
                and e["kwargs"].get("column") in series and "row_condition" not in e["kwargs"]]

    def columns_read(self) -> list[str] | None:
        """The table's columns the row expectations read (all Great Expectations needs to be handed), or None
        when a row condition may read any column."""
        if any(e["kwargs"].get("row_condition") for e in self.on_rows):
            return None
        read: dict[str, None] = {}
        for e in self.on_rows:
            kwargs = e["kwargs"]
            for column in [kwargs.get(k) for k in ("column", "column_A", "column_B")] + list(
                    kwargs.get("column_list", ())):
                if column:
                    read[column] = None
        return list(read)


def suite(name: str, expectations_dir: Path | None = None) -> Suite:
    """The suite ``name``, read once per process per file version."""
    path = suite_path(name, expectations_dir)
    stamp = path.stat().st_mtime_ns if path.exists() else None
    return _suite(name, str(path.parent), stamp)


@lru_cache(maxsize=None)
def _suite(name: str, folder: str, stamp: int | None) -> Suite:
    data = load_suite_dict(name, Path(folder))
    config = Plausibility.from_suite(data)
    expectations = data.get("expectations", [])
    on_days = [e for e in expectations if is_derived(e.get("kwargs", {}).get("column"))]
    if on_days and config is None:
        raise ValueError(f"suite {name!r} has expectations on derived columns but no meta.plausibility block")
    on_rows = [e for e in expectations if not is_derived(e.get("kwargs", {}).get("column"))]
    return Suite(name, data, config, on_rows, on_days)


def plausibility(name: str, expectations_dir: Path | None = None) -> Plausibility | None:
    return suite(name, expectations_dir).plausibility


def lookback_days(name: str, expectations_dir: Path | None = None) -> int:
    """How many days before a window a gate must read for the suite's history-relative expectations."""
    config = plausibility(name, expectations_dir)
    return config.lookback_days if config else 0


def table_of(name: str) -> str:
    """The table a suite is named after: ``raw_bybit__open_interest`` -> ``raw.bybit__open_interest``,
    ``leverage_condition`` -> ``main.leverage_condition`` (the inverse of the naming in definitions)."""
    return f"raw.{name[4:]}" if name.startswith("raw_") else f"main.{name}"

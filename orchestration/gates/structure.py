"""A table's structure, checked from its one owner instead of restated in every suite.

Raw tables: the columns the landing writes (``raw_store.raw_columns``: ``Dataset.columns`` plus the partition
and the payload hash) must be there, and every one the dataset does not declare ``nullable`` must be filled.
Tables dbt builds are not checked here: their contracts (enforced by DuckDB when dbt builds them) and their
``not_null`` tests, which block the run as asset checks, own their columns and nulls; a column a suite reads
that dbt did not build makes that expectation fail anyway. Plain pandas: a null count per column costs
microseconds, where a Great Expectations expectation costs milliseconds.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from orchestration.gates.report import FailedExpectation

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@dataclass(frozen=True)
class Structure:
    columns: tuple[str, ...]  # every column the table has
    required: tuple[str, ...]  # the columns that may not be null


@lru_cache(maxsize=None)
def raw_structures() -> dict[str, Structure]:
    """Suite name (``raw_<provider>__<dataset>``) -> the raw table's structure, for every landed dataset."""
    from orchestration.feeds.registry import datasets
    from orchestration.raw_store import raw_columns, raw_table

    out = {}
    for dataset in datasets():
        columns = tuple(raw_columns(dataset))
        unknown = set(dataset.nullable) - set(columns)
        if unknown:
            raise ValueError(f"{raw_table(dataset)}: nullable names columns it does not have: {sorted(unknown)}")
        out[raw_table(dataset).replace(".", "_")] = Structure(
            columns, tuple(c for c in columns if c not in dataset.nullable))
    return out


def structure_of(suite: str) -> Structure | None:
    """The structure a suite's table must have, where the gate is its checker (raw tables), else None."""
    return raw_structures().get(suite)


@dataclass(frozen=True)
class Broken:
    """A structural rule the frame broke, and which of its rows broke it (None: the whole table)."""

    failed: FailedExpectation
    rows: "pd.Series | None"


def check(frame: "pd.DataFrame", structure: Structure) -> tuple[int, list[Broken]]:
    """How many structural rules ran on ``frame`` and the ones it broke: a missing column, nulls in a required
    one. Named with Great Expectations' words (``expect_column_to_exist``, ``..._to_not_be_null``), so a report
    reads one way whoever judged."""
    broken: list[Broken] = []
    evaluated = len(structure.columns)
    for column in structure.columns:
        if column not in frame.columns:
            broken.append(Broken(FailedExpectation("expect_column_to_exist", column, {"column": column}, None,
                                                   None), None))
    for column in structure.required:
        if column not in frame.columns:
            continue  # said once, as missing
        evaluated += 1
        nulls = frame[column].isna()
        count = int(nulls.sum())
        if count:
            percent = round(100.0 * count / len(frame), 4)
            broken.append(Broken(FailedExpectation("expect_column_values_to_not_be_null", column,
                                                   {"column": column}, count, percent), nulls))
    return evaluated, broken

"""The gate layer's pure parts on small frames, without Great Expectations: a raw table's structure from its
dataset, the plausibility frame's inputs, and the wording of a failure."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.feeds import okx
from orchestration.gates import structure
from orchestration.gates.explain import bounds_text, number, row_rule
from orchestration.gates.plausibility import Plausibility, reference_bands, without
from orchestration.raw_store import raw_columns


def okx_funding(rows: int = 4) -> pd.DataFrame:
    ft = pd.date_range("2024-03-01", periods=rows, freq="8h")
    return pd.DataFrame({"partition_date": ft.normalize(), "inst_id": "BTC-USDT-SWAP", "funding_time": ft,
                         "funding_rate": 0.0001, "realized_rate": None, "payload_sha256": "ab" * 32})


def test_a_raw_tables_structure_is_its_datasets():
    found = structure.structure_of("raw_okx__funding")
    assert list(found.columns) == list(raw_columns(okx.DATASETS["funding"]))
    assert "realized_rate" not in found.required  # declared nullable by the connector
    assert {"partition_date", "inst_id", "funding_time", "funding_rate", "payload_sha256"} == set(found.required)
    assert structure.structure_of("leverage_condition") is None  # dbt's contract and tests own a model's


def test_every_nullable_column_is_a_column_of_its_dataset():
    for suite, found in structure.raw_structures().items():
        assert set(found.required) <= set(found.columns), suite


def test_a_good_frame_has_its_structure():
    evaluated, broken = structure.check(okx_funding(), structure.structure_of("raw_okx__funding"))
    assert broken == [] and evaluated == 6 + 5  # a column each, a not-null rule per required column


def test_a_missing_column_and_nulls_are_named_with_their_rows():
    frame = okx_funding().drop(columns=["inst_id"])
    frame.loc[[1, 3], "funding_rate"] = np.nan
    frame["realized_rate"] = np.nan  # nullable: fine
    evaluated, broken = structure.check(frame, structure.structure_of("raw_okx__funding"))
    assert evaluated == 6 + 4  # the missing column's not-null rule does not run
    assert [(b.failed.type, b.failed.column) for b in broken] == [
        ("expect_column_to_exist", "inst_id"), ("expect_column_values_to_not_be_null", "funding_rate")]
    nulls = broken[1]
    assert nulls.failed.unexpected_count == 2 and nulls.failed.unexpected_percent == 50.0
    assert nulls.rows.tolist() == [False, True, False, True]
    assert broken[0].rows is None and broken[0].failed.describe() == "expect_column_to_exist(inst_id): column missing"


def test_the_rows_a_series_own_bounds_rejected_are_blanked_before_the_days_value():
    config = Plausibility("day", {"v": "mean", "w": "sum"})
    frame = pd.DataFrame({"day": pd.to_datetime(["2024-01-01"] * 3), "v": [1.0, 1000.0, 3.0], "w": [1, 2, 3],
                          "other": "x"})
    out = without(frame, config, {"v": np.array([False, True, False]), "other": np.array([True] * 3)})
    assert list(out.columns) == ["day", "v", "w"]  # only what the daily frame reads
    assert out["v"].tolist()[::2] == [1.0, 3.0] and np.isnan(out["v"].iloc[1])
    assert out["w"].tolist() == [1, 2, 3] and frame["v"].iloc[1] == 1000.0  # the caller's frame untouched


def test_reference_bands_are_the_trailing_median_bounds_only():
    on_days = [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "__vs_trailing_median__oi", "min_value": 0.5, "max_value": 2}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "__minus_trailing_median__funding", "min_value": -0.001, "max_value": 0.001}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "__vs_previous_day__oi", "min_value": 0.7, "max_value": 1.4}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "__vs_trailing_median__oi", "min_value": 0.1, "row_condition": "venue=='x'"}},
    ]
    assert reference_bands(on_days) == {"oi": [("vs_trailing_median", 0.5, 2)],
                                        "funding": [("minus_trailing_median", -0.001, 0.001)]}


@pytest.mark.parametrize("value, text", [(0.00065, "0.00065"), (0.00005, "5e-5"), (52000.0, "52000.0"), (3.14159, "3.14"),
                                         (2.0, "2.0"), (5e12, "5e12"), (None, "null"), (float("nan"), "null")])
def test_numbers_read_as_a_person_reads_them(value, text):
    assert number(value) == text


def test_bounds_and_row_rules_in_words():
    assert bounds_text({"min_value": 1000, "max_value": 1e7}) == "1000..1e7"
    assert bounds_text({"min_value": 0}) == "from 0" and bounds_text({"max_value": 5e-5}) == "up to 5e-5"
    assert row_rule("expect_column_values_to_be_between", "close", {"min_value": 1000, "max_value": 1e7},
                    ["2024-02-20", "2024-02-21"], 48, [5.2, 5.1]) == \
        "close on 2024-02-20..2024-02-21: 48 rows outside its absolute bounds 1000..1e7, e.g. 5.2, 5.1"
    assert row_rule("expect_column_values_to_not_be_null", "oi", {}, ["2024-02-20"], 1, []) == \
        "oi on 2024-02-20: 1 null value"
    assert row_rule("expect_column_values_to_be_unique", "ts", {}, ["2024-02-20"], 2, []) is None  # GE's words

"""Great Expectations gates of the ETF flow raw tables (Farside per issuer, SoSoValue totals): a window landed
from the sample world passes; a Total that the funds do not add up to, a duplicate day x issuer, a figure in
the wrong unit, a ticker Farside would not head a column with and a day far off its history fail on exactly
what was broken. One module so the Great Expectations import is paid once."""
from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb
import pandas as pd
import pytest

from orchestration import gates
from orchestration.feeds import farside, sosovalue
from orchestration.feeds.base import Window
from tests.conftest import land_from_sample

NOW = datetime(2025, 9, 21, 0, 30, tzinfo=timezone.utc)
WINDOW = Window(date(2025, 7, 20), date(2025, 9, 20))
FARSIDE, SOSO = "raw_farside__flows", "raw_sosovalue__flows"
DATASETS = {FARSIDE: farside.DATASETS["flows"], SOSO: sosovalue.DATASETS["flows"]}


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> dict[str, pd.DataFrame]:
    tmp = tmp_path_factory.mktemp("etf")
    con = duckdb.connect(str(tmp / "wh.duckdb"))
    frames = {}
    for suite, dataset in DATASETS.items():
        result, frames[suite] = land_from_sample(dataset, WINDOW, NOW, con, tmp / "raw")
        assert result.error is None and result.rows > 0
        # weekends (and Labor Day) have no flows: not a failure
        assert {status for status, _ in result.statuses.values()} == {"landed", "no_rows"}
    return frames


def failures(frame: pd.DataFrame, suite: str):
    return gates.validate(frame, suite).failures_by_expectation()


@pytest.mark.parametrize("suite", DATASETS)
def test_a_landed_window_passes(landed, suite):
    report = gates.validate(landed[suite], suite)
    assert report.success, report.to_metadata()["failed_expectations"]
    assert report.evaluated > 20


def test_a_total_the_funds_do_not_add_up_to_fails(landed):
    df = landed[FARSIDE].copy()
    day = df["date"].iloc[0]
    df.loc[df["date"] == day, "total_usd_m"] += 25.0  # e.g. a column read under the wrong ticker
    f = failures(df, FARSIDE)
    assert list(f) == [("expect_column_values_to_be_null", "total_usd_m")]
    assert f[("expect_column_values_to_be_null", "total_usd_m")].unexpected_count == int((df["date"] == day).sum())


def test_rounding_alone_passes(landed):
    df = landed[FARSIDE].copy()
    df["total_usd_m"] += 0.6  # a dozen cells rounded to 0.1 US$m
    assert gates.validate(df, FARSIDE).success


def test_a_duplicate_day_and_issuer_fails(landed):
    df = landed[FARSIDE]
    df = pd.concat([df, df.iloc[[5]]], ignore_index=True)
    f = failures(df, FARSIDE)
    assert f[("expect_compound_columns_to_be_unique", "date,ticker")].unexpected_count == 2
    assert len(f) == 1


def test_flows_in_dollars_instead_of_millions_fail(landed):
    df = landed[FARSIDE].copy()
    big = df["flow_usd_m"].abs().idxmax()
    df.loc[big, "flow_usd_m"] *= 1e6
    f = failures(df, FARSIDE)
    assert f[("expect_column_values_to_be_between", "flow_usd_m")].unexpected_count == 1


def test_a_ticker_farside_would_not_head_a_column_with_fails(landed):
    df = landed[FARSIDE].copy()
    df.loc[0, "ticker"] = "ibit"
    df.loc[1, "ticker"] = "Fee %"
    f = failures(df, FARSIDE)
    assert f[("expect_column_values_to_match_regex", "ticker")].unexpected_count == 2


def test_a_whole_day_off_its_history_fails(landed):
    """All funds' flows of one day 10x (a misplaced decimal point in every cell): each stays within its
    absolute bound, the day's total does not stay near its trailing median."""
    df = landed[FARSIDE].copy()
    days = df.groupby("date")["flow_usd_m"].agg(["sum", lambda v: v.abs().max()])
    day = days[days["sum"].abs().between(450, 1000) & (days.iloc[:, 1] < 500)].index[-1]
    rows = df["date"] == day
    df.loc[rows, ["flow_usd_m", "total_usd_m", "tickers_sum_usd_m"]] *= 10
    report = gates.validate(df, FARSIDE)
    kinds = {key[1] for key in report.failures_by_expectation()}
    assert "__minus_trailing_median__flow_usd_m" in kinds
    assert str(pd.Timestamp(day).date()) in report.blocked_days


def test_sosovalue_in_millions_and_a_repeated_day_fail(landed):
    df = landed[SOSO].copy()
    df.loc[3, "total_net_assets_usd"] /= 1e6
    df = pd.concat([df, df.iloc[[7]]], ignore_index=True)
    f = failures(df, SOSO)
    assert f[("expect_column_values_to_be_between", "total_net_assets_usd")].unexpected_count == 1
    assert f[("expect_column_values_to_be_unique", "date")].unexpected_count == 2

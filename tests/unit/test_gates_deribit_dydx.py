"""Great Expectations gates of the Deribit and dYdX raw tables: a good frame passes, a corrupted one fails on
exactly what was broken. Kept in one module so the Great Expectations import is paid once."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration import gates

SHA = "cd" * 32
SUITES = ["raw_deribit__funding", "raw_deribit__open_interest", "raw_dydx__funding", "raw_dydx__open_interest"]


def hours(days: int = 2, start: str = "2024-03-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=24 * days, freq="1h")


def deribit_funding() -> pd.DataFrame:
    ts = hours()
    i1 = np.linspace(-0.00002, 0.00006, len(ts))
    return pd.DataFrame({"partition_date": ts.normalize(), "instrument_name": "BTC-PERPETUAL", "ts": ts,
                         "interest_1h": i1, "interest_8h": pd.Series(i1).rolling(8, min_periods=1).sum(),
                         "index_price": 61_000.0, "prev_index_price": 60_990.0, "payload_sha256": SHA})


def deribit_oi() -> pd.DataFrame:
    snaps = pd.to_datetime(["2024-03-02 00:30:00.123", "2024-03-03 00:30:01.456"])
    return pd.DataFrame({"partition_date": (snaps - pd.Timedelta(hours=6)).normalize(),
                         "instrument_name": "BTC-PERPETUAL", "ts": snaps, "oi_usd": [1.2e9, 1.25e9],
                         "mark_price": [61_000.5, 62_000.0], "payload_sha256": SHA})


def dydx_funding() -> pd.DataFrame:
    ts = hours()
    return pd.DataFrame({"partition_date": ts.normalize(), "ticker": "BTC-USD", "effective_at": ts,
                         "rate": np.linspace(-0.00001, 0.00002, len(ts)), "price": 61_000.0,
                         "effective_at_height": np.arange(len(ts), dtype=np.int64) * 1200 + 9_000_000,
                         "payload_sha256": SHA})


def dydx_oi() -> pd.DataFrame:
    ts = hours()
    return pd.DataFrame({"partition_date": ts.normalize(), "ticker": "BTC-USD", "started_at": ts,
                         "starting_open_interest": 1_500.0 + np.arange(len(ts)), "close": 61_000.0,
                         "usd_volume": 2.5e7, "payload_sha256": SHA})


GOOD = {"raw_deribit__funding": deribit_funding, "raw_deribit__open_interest": deribit_oi,
        "raw_dydx__funding": dydx_funding, "raw_dydx__open_interest": dydx_oi}


@pytest.mark.parametrize("suite", SUITES)
def test_good_frames_pass(suite):
    report = gates.validate(GOOD[suite](), suite)
    assert report.success, report.to_metadata()["failed_expectations"]


def test_good_frames_pass_with_nullable_columns_empty():
    df = deribit_funding().assign(interest_8h=None, index_price=None, prev_index_price=None)
    assert gates.validate(df, "raw_deribit__funding").success
    assert gates.validate(dydx_oi().assign(close=None, usd_volume=None), "raw_dydx__open_interest").success


def test_corrupted_deribit_funding_fails():
    df = deribit_funding()
    df.loc[0, "interest_1h"] = 0.01  # percent units slipped in
    df.loc[1, "ts"] = df.loc[1, "ts"] + pd.Timedelta(minutes=30)  # off the hour
    df = pd.concat([df, df.iloc[[5]]], ignore_index=True)  # the same hour twice
    df.loc[2, "instrument_name"] = "ETH-PERPETUAL"
    f = gates.validate(df, "raw_deribit__funding").failures_by_expectation()
    assert f[("expect_column_values_to_be_between", "interest_1h")].unexpected_count == 1
    assert f[("expect_column_values_to_match_regex", "ts")].unexpected_count == 1
    assert f[("expect_compound_columns_to_be_unique", "instrument_name,ts")].unexpected_count == 2
    assert f[("expect_column_values_to_be_in_set", "instrument_name")].sample_values == ["ETH-PERPETUAL"]
    assert len(f) == 4


def test_corrupted_deribit_oi_fails():
    df = deribit_oi()
    df.loc[0, "oi_usd"] = 0.0
    extra = df.iloc[[1]].assign(ts=pd.Timestamp("2024-03-03 01:00"))  # a second snapshot for the same day
    df = pd.concat([df, extra], ignore_index=True)
    f = gates.validate(df, "raw_deribit__open_interest").failures_by_expectation()
    assert f[("expect_column_values_to_be_between", "oi_usd")].sample_values == [0.0]
    assert f[("expect_compound_columns_to_be_unique", "instrument_name,partition_date")].unexpected_count == 2
    assert len(f) == 2


def test_corrupted_dydx_funding_fails():
    df = dydx_funding()
    df.loc[0, "rate"] = None
    df.loc[1, "rate"] = 0.5
    df.loc[2, "effective_at_height"] = -1
    f = gates.validate(df, "raw_dydx__funding").failures_by_expectation()
    assert f[("expect_column_values_to_not_be_null", "rate")].unexpected_count == 1
    assert f[("expect_column_values_to_be_between", "rate")].sample_values == [0.5]
    assert f[("expect_column_values_to_be_between", "effective_at_height")].unexpected_count == 1
    assert len(f) == 3


def test_corrupted_dydx_oi_fails():
    df = dydx_oi()
    df.loc[0, "starting_open_interest"] = -3.0
    df.loc[1, "started_at"] = df.loc[2, "started_at"]
    df.loc[3, "close"] = 0.0
    report = gates.validate(df.drop(columns=["usd_volume"]), "raw_dydx__open_interest")
    f = report.failures_by_expectation()
    assert not report.success
    assert f[("expect_column_values_to_be_between", "starting_open_interest")].sample_values == [-3.0]
    assert f[("expect_compound_columns_to_be_unique", "ticker,started_at")].unexpected_count == 2
    assert f[("expect_column_values_to_be_between", "close")].unexpected_count == 1
    assert ("expect_column_to_exist", "usd_volume") in f

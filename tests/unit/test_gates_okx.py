"""Great Expectations gates of the OKX raw tables: a good frame passes, a corrupted one fails on exactly what
was broken. Kept in one module so the Great Expectations import is paid once."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from orchestration import gates
from orchestration.feeds import okx

SHA = "0f" * 32
SUITES = {"raw_okx__funding": okx.Funding, "raw_okx__open_interest": okx.OpenInterest}


def funding_frame(days: int = 3) -> pd.DataFrame:
    ft = pd.date_range("2024-03-01", periods=3 * days, freq="8h")
    return pd.DataFrame({"partition_date": ft.normalize(), "inst_id": "BTC-USDT-SWAP", "funding_time": ft,
                         "funding_rate": np.linspace(-0.0002, 0.0006, len(ft)),
                         "realized_rate": [None] + list(np.linspace(-0.0002, 0.0006, len(ft) - 1)),
                         "payload_sha256": SHA})


def oi_frame() -> pd.DataFrame:
    daily = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=5, freq="D"), "period": "1D"})
    hourly = pd.DataFrame({"ts": pd.date_range("2024-03-01", periods=48, freq="1h"), "period": "1H"})
    df = pd.concat([daily, hourly], ignore_index=True)
    df.insert(0, "partition_date", df["ts"].dt.normalize())
    df.insert(1, "ccy", "BTC")
    df["oi_usd"] = 6e9
    df["volume_usd"] = np.where(df["period"] == "1D", 8e9, 3e8)
    df["payload_sha256"] = SHA
    return df


GOOD = {"raw_okx__funding": funding_frame, "raw_okx__open_interest": oi_frame}


@pytest.mark.parametrize("suite", SUITES)
def test_a_good_frame_passes(suite):
    report = gates.validate(GOOD[suite](), suite)
    assert report.success, report.to_metadata()["failed_expectations"]


def test_corrupted_funding_fails():
    df = funding_frame()
    df.loc[2, "funding_rate"] = 0.5
    df.loc[3, "funding_rate"] = None
    df.loc[5, "funding_time"] = df.loc[4, "funding_time"]
    df.loc[7, "funding_time"] = pd.Timestamp("2024-03-03 12:00:00")  # a 4-hourly settlement
    df.loc[8, "inst_id"] = "BTC-USD-SWAP"
    f = gates.validate(df, "raw_okx__funding").failures_by_expectation()
    assert f[("expect_column_values_to_be_between", "funding_rate")].sample_values == [0.5]
    assert f[("expect_column_values_to_not_be_null", "funding_rate")].unexpected_count == 1
    assert f[("expect_compound_columns_to_be_unique", "inst_id,funding_time")].unexpected_count == 2
    assert f[("expect_column_values_to_match_regex", "funding_time")].unexpected_count == 1
    assert f[("expect_column_values_to_be_in_set", "inst_id")].unexpected_count == 1
    assert len(f) == 5


def test_corrupted_open_interest_fails():
    df = oi_frame()
    df.loc[0, "oi_usd"] = -1.0
    df.loc[1, "period"] = "5m"
    df.loc[6, "ts"] = df.loc[7, "ts"]
    df.loc[9, "ts"] = pd.Timestamp("2024-03-01 03:30:00")
    df.loc[10, "volume_usd"] = None
    f = gates.validate(df, "raw_okx__open_interest").failures_by_expectation()
    assert f[("expect_column_values_to_be_between", "oi_usd")].sample_values == [-1.0]
    assert f[("expect_column_values_to_be_in_set", "period")].unexpected_count == 1
    assert f[("expect_compound_columns_to_be_unique", "ccy,ts")].unexpected_count == 2
    assert f[("expect_column_values_to_match_regex", "ts")].unexpected_count == 1
    assert f[("expect_column_values_to_not_be_null", "volume_usd")].unexpected_count == 1
    assert len(f) == 5


def test_a_window_of_daily_rows_only_passes_and_a_half_hour_still_fails():
    """A 30-day window older than the 1H history holds only 1D rows, all at midnight (pandas would print
    them as bare dates); the gate reads them as timestamps. A half-hour stamp is still caught."""
    df = oi_frame()
    daily = df[df["period"] == "1D"].reset_index(drop=True)
    assert gates.validate(daily, "raw_okx__open_interest").success
    daily.loc[2, "ts"] = pd.Timestamp("2024-01-03 00:30:00")
    f = gates.validate(daily, "raw_okx__open_interest").failures_by_expectation()
    assert f[("expect_column_values_to_match_regex", "ts")].unexpected_count == 1
    assert f[("expect_column_values_to_match_regex", "ts")].sample_values == ["2024-01-03 00:30:00.000000"]

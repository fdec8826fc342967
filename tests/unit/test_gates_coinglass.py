"""Great Expectations gates of the CoinGlass raw tables: a window landed from the sample world passes; a 1000x
unit error, a duplicate and (heatmap) a level far from the last price fail on exactly what was broken. One
module, so the Great Expectations import is paid once."""
from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb
import pandas as pd
import pytest

from orchestration import gates
from orchestration.feeds import coinglass
from orchestration.feeds.base import Window
from orchestration.feeds.http import FeedClient, RateLimiter
from orchestration.raw_store import land, raw_table
from orchestration.sample.transport import SampleTransport

NOW = datetime(2025, 9, 21, 0, 30, tzinfo=timezone.utc)
WINDOW = Window(date(2025, 9, 1), date(2025, 9, 20))
SUITES = {f"raw_coinglass__{name}": dataset for name, dataset in coinglass.DATASETS.items()}
BETWEEN = "expect_column_values_to_be_between"


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """Each CoinGlass raw table as landed from the sample world for ``WINDOW`` (the heatmap: its last day)."""
    folder = tmp_path_factory.mktemp("coinglass")
    con = duckdb.connect(str(folder / "wh.duckdb"))
    frames = {}
    for suite, dataset in SUITES.items():
        client = FeedClient(dataset.provider, SampleTransport(now=NOW), rate_limiter=RateLimiter(0),
                            sleep=lambda s: None)
        result = land(dataset, WINDOW, client, folder / "raw", con, NOW)
        assert result.error is None and result.rows > 0
        frames[suite] = con.execute(f"select * from {raw_table(dataset)} order by all").df()
    return frames


def failures(frame: pd.DataFrame, suite: str) -> dict:
    report = gates.validate(frame, suite)
    assert not report.success
    return report.failures_by_expectation()


@pytest.mark.parametrize("suite", SUITES)
def test_a_landed_window_passes(landed, suite):
    frame = landed[suite]
    assert len(frame) >= (20 if suite != "raw_coinglass__liquidation_heatmap" else 50)
    report = gates.validate(frame, suite)
    assert report.success, report.to_metadata()["failed_expectations"]


@pytest.mark.parametrize("suite, column", [
    ("raw_coinglass__oi_aggregated", "close_usd"),
    ("raw_coinglass__liquidations", "long_usd"),
])
def test_a_1000x_unit_error_fails_the_usd_bounds(landed, suite, column):
    """A unit error is systematic (the whole payload in thousands): every day above the bound's thousandth
    (US$1m OI, US$50m of liquidations) is flagged, and nothing else is."""
    df = landed[suite].copy()
    original = df[column].copy()
    df[column] *= 1000
    f = failures(df, suite)
    flagged = f[(BETWEEN, column)].unexpected_count
    assert flagged >= 1 and flagged == int((original * 1000 >= (5e11 if column == "close_usd" else 5e10)).sum())
    assert set(f) == {(BETWEEN, column)}


def test_oi_in_coin_units_fails():
    """``unit`` dropped from the request: BTC counts (hundreds of thousands) instead of USD."""
    df = pd.DataFrame({"partition_date": pd.to_datetime(["2025-09-01"]).date, "symbol": "BTC",
                       "time": pd.to_datetime(["2025-09-01"]), "interval": "1d", "open_usd": 700e3,
                       "high_usd": 720e3, "low_usd": 690e3, "close_usd": 710e3, "payload_sha256": "0f" * 32})
    f = failures(df, "raw_coinglass__oi_aggregated")
    assert {k for k in f} == {(BETWEEN, c) for c in ("open_usd", "high_usd", "low_usd", "close_usd")}


def test_funding_scaled_1000x_fails(landed):
    df = landed["raw_coinglass__funding_oi_weighted"].copy()
    df["close_pct"] = df["close_pct"].where(df.index != 2, 0.01 * 1000)  # 0.01 % read as ... 10 %
    df.loc[5, "high_pct"] = -5.0
    f = failures(df, "raw_coinglass__funding_oi_weighted")
    assert f[(BETWEEN, "close_pct")].sample_values == [10.0]
    assert f[(BETWEEN, "high_pct")].sample_values == [-5.0]
    assert f[("expect_column_pair_values_a_to_be_greater_than_b", "high_pct,low_pct")].unexpected_count == 1
    assert len(f) == 3


@pytest.mark.parametrize("suite", ["raw_coinglass__oi_aggregated", "raw_coinglass__funding_oi_weighted",
                                   "raw_coinglass__liquidations"])
def test_a_duplicated_day_and_an_off_midnight_bar_fail(landed, suite):
    df = landed[suite].copy()
    df = pd.concat([df, df.iloc[[4]]], ignore_index=True)
    df.loc[7, "time"] = df.loc[7, "time"] + pd.Timedelta(hours=8)
    f = failures(df, suite)
    assert f[("expect_column_values_to_be_unique", "time")].unexpected_count == 2
    assert f[("expect_column_values_to_match_regex", "time")].unexpected_count == 1
    assert len(f) == 2


def test_liquidations_negative_and_wrong_venues_fail(landed):
    df = landed["raw_coinglass__liquidations"].copy()
    df.loc[1, "short_usd"] = -1.0
    df.loc[2, "exchange_list"] = "Binance,OKX"
    f = failures(df, "raw_coinglass__liquidations")
    assert f[(BETWEEN, "short_usd")].sample_values == [-1.0]
    assert f[("expect_column_values_to_be_in_set", "exchange_list")].unexpected_count == 1
    assert len(f) == 2


def test_heatmap_unit_error_duplicate_and_far_level_fail(landed):
    df = landed["raw_coinglass__liquidation_heatmap"].copy()
    last = df.loc[0, "last_price_usd"]
    df.loc[0, "liquidation_usd"] *= 1000 * 1000  # a level read in micro-units
    df.loc[1, "price_usd"] = last * 1.6  # beyond 50 % of the last price
    df = pd.concat([df, df.iloc[[5]]], ignore_index=True)  # a level twice
    f = failures(df, "raw_coinglass__liquidation_heatmap")
    assert f[(BETWEEN, "liquidation_usd")].unexpected_count == 1
    assert f[("expect_column_values_to_be_null", "price_usd")].sample_values == [last * 1.6]
    assert f[("expect_compound_columns_to_be_unique", "snapshot_ts,price_usd")].unexpected_count == 2
    assert f[("expect_compound_columns_to_be_unique", "partition_date,price_usd")].unexpected_count == 2
    assert len(f) == 4


def test_heatmap_prices_in_cents_fail(landed):
    df = landed["raw_coinglass__liquidation_heatmap"].copy()
    df["price_usd"] *= 100
    df["last_price_usd"] *= 100
    f = failures(df, "raw_coinglass__liquidation_heatmap")
    assert f[(BETWEEN, "price_usd")].unexpected_count == len(df)
    assert f[(BETWEEN, "last_price_usd")].unexpected_count == len(df)

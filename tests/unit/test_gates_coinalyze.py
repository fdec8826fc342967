"""Great Expectations gates of the Coinalyze raw tables: a window landed from the sample world passes, and a
1000x unit error, a duplicate bar, a wrong venue/symbol pairing or an OHLC swap fail on exactly what was
broken. Kept in one module so the Great Expectations import is paid once."""
from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb
import pandas as pd
import pytest

from orchestration import gates
from orchestration.feeds import coinalyze as cz
from orchestration.feeds.base import Window
from orchestration.feeds.http import FeedClient, RateLimiter
from orchestration.raw_store import land, raw_table
from orchestration.sample.transport import SampleTransport

NOW = datetime(2025, 9, 21, 0, 30, tzinfo=timezone.utc)
WINDOW = Window(date(2025, 8, 20), date(2025, 9, 20))
SUITES = {f"raw_coinalyze__{name}": dataset for name, dataset in cz.DATASETS.items()}


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """Each dataset's raw table after landing ``WINDOW`` from the sample world."""
    tmp = tmp_path_factory.mktemp("coinalyze")
    con = duckdb.connect(str(tmp / "wh.duckdb"))
    transport = SampleTransport(now=NOW)
    frames = {}
    for suite, dataset in SUITES.items():
        client = FeedClient(dataset.provider, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)
        result = land(dataset, WINDOW, client, tmp / "raw", con, NOW)
        assert result.error is None and result.rows >= 4 * len(WINDOW.days())
        frames[suite] = con.execute(f"select * from {raw_table(dataset)} order by venue, t").df()
    return frames


def failures(frame: pd.DataFrame, suite: str):
    return gates.validate(frame, suite).failures_by_expectation()


@pytest.mark.parametrize("suite", SUITES)
def test_a_landed_window_passes(landed, suite):
    frame = landed[suite]
    assert set(frame["venue"]) == set(SUITES[suite].venue_symbols) and set(frame["interval"]) == {"daily"}
    report = gates.validate(frame, suite)
    assert report.success, report.to_metadata()["failed_expectations"]


def test_a_1000x_open_interest_unit_error_fails(landed):
    df = landed["raw_coinalyze__open_interest"].copy()
    big = df.index[df["venue"] == "binance"][0]
    small = df.index[df["venue"] == "dydx"][0]
    for col in ("open_usd", "high_usd", "low_usd", "close_usd"):
        df.loc[big, col] *= 1000  # thousands of USD read as USD... or the other way round
        df.loc[small, col] /= 1000
    f = failures(df, "raw_coinalyze__open_interest")
    ohlc = ("open_usd", "high_usd", "low_usd", "close_usd")
    assert set(f) == {("expect_column_values_to_be_between", c) for c in ohlc}
    assert all(e.unexpected_count == 2 for e in f.values())


def test_funding_as_basis_points_fails(landed):
    df = landed["raw_coinalyze__funding"].copy()
    hot = df["close_pct"].abs().idxmax()
    df.loc[hot, ["open_pct", "high_pct", "low_pct", "close_pct"]] *= 1000
    f = failures(df, "raw_coinalyze__funding")
    assert ("expect_column_values_to_be_between", "close_pct") in f
    assert {key[0] for key in f} == {"expect_column_values_to_be_between"}


def test_a_1000x_liquidation_unit_error_and_a_negative_value_fail(landed):
    df = landed["raw_coinalyze__liquidations"].copy()
    row = df["long_usd"].idxmax()
    df.loc[row, "long_usd"] *= 1000
    df.loc[0, "short_usd"] = -1.0
    f = failures(df, "raw_coinalyze__liquidations")
    assert f[("expect_column_values_to_be_between", "long_usd")].unexpected_count == 1
    assert f[("expect_column_values_to_be_between", "short_usd")].sample_values == [-1.0]
    assert len(f) == 2


@pytest.mark.parametrize("suite", SUITES)
def test_a_duplicate_bar_fails(landed, suite):
    df = landed[suite]
    df = pd.concat([df, df.iloc[[3]]], ignore_index=True)
    f = failures(df, suite)
    assert f[("expect_compound_columns_to_be_unique", "venue,t")].unexpected_count == 2
    assert len(f) == 1


def test_wrong_venue_symbol_interval_time_and_swapped_ohlc_fail(landed):
    df = landed["raw_coinalyze__open_interest"].copy()
    df.loc[0, "venue"] = "bitmex"
    df.loc[1, "symbol"] = "BTCUSDT.6" if df.loc[1, "venue"] != "bybit" else "BTCUSDT_PERP.A"
    df.loc[2, "interval"] = "1hour"
    df.loc[3, "t"] = df.loc[3, "t"] + pd.Timedelta(hours=8)
    high, low = float(df.at[4, "high_usd"]), float(df.at[4, "low_usd"])
    df.at[4, "high_usd"], df.at[4, "low_usd"] = low, high
    df.loc[5, "close_usd"] = None
    f = failures(df, "raw_coinalyze__open_interest")
    assert f[("expect_column_values_to_be_in_set", "venue")].sample_values == ["bitmex"]
    assert f[("expect_column_pair_values_to_be_in_set", "symbol,venue")].unexpected_count == 2  # rows 0 and 1
    assert f[("expect_column_values_to_be_in_set", "interval")].sample_values == ["1hour"]
    assert f[("expect_column_values_to_match_regex", "t")].unexpected_count == 1
    assert f[("expect_column_pair_values_a_to_be_greater_than_b", "high_usd,low_usd")].unexpected_count == 1
    assert f[("expect_column_values_to_not_be_null", "close_usd")].unexpected_count == 1
    assert all(e.unexpected_count == 1 for key, e in f.items() if key[0].startswith("expect_column_pair_values_a"))
    assert not any(key[0] == "expect_compound_columns_to_be_unique" for key in f)

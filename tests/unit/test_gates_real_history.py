"""The raw gates pass real recorded history, cascade days included, and still block the corruptions they exist
for. Every recorded dataset is landed from the recorded world over its whole span (skipped where
../shared/realdata is absent)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb
import pandas as pd
import pytest

from orchestration import gates
from orchestration.definitions import datasets
from orchestration.feeds.base import Window
from orchestration.feeds.http import FeedClient, RateLimiter
from orchestration.raw_store import land, raw_table
from orchestration.recorded.transport import RecordedTransport
from orchestration.recorded.world import RecordedWorld
from tests.conftest import REALDATA

pytestmark = pytest.mark.realdata

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
SPAN = Window(date(2020, 1, 1), date(2025, 11, 14))


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> dict[str, pd.DataFrame]:
    if not REALDATA.is_dir():
        pytest.skip(f"real recorded data not found at {REALDATA} (it lives beside the project, not in it)")
    world = RecordedWorld(REALDATA)
    folder = tmp_path_factory.mktemp("real")
    con = duckdb.connect(str(folder / "wh.duckdb"))
    frames = {}
    for dataset in datasets():
        if not world.days_held(dataset.provider.name, dataset.name):
            continue
        client = FeedClient(dataset.provider, RecordedTransport(world, now=NOW), rate_limiter=RateLimiter(0),
                            sleep=lambda s: None)
        result = land(dataset, SPAN, client, folder / "raw", con, NOW, raise_on_error=False)
        assert result.error is None, result.error
        frames[f"raw_{dataset.provider.name}__{dataset.name}"] = con.execute(
            f"select * from {raw_table(dataset)} order by all").df()
    return frames


def test_every_recorded_dataset_was_landed(landed):
    registered = {f"raw_{d.provider.name}__{d.name}" for d in datasets()}
    assert set(landed) == {"raw_binance__funding", "raw_binance__spot_klines", "raw_bybit__funding",
                           "raw_coinglass__oi_aggregated", "raw_coinglass__funding_oi_weighted",
                           "raw_coinglass__liquidations", "raw_farside__flows", "raw_defillama__stablecoin_supply",
                           "raw_cryptoquant__exchange_reserve", "raw_coinmetrics__asset_metrics",
                           "raw_coinalyze__open_interest"} | ({"raw_hyperliquid__open_interest"} & registered)


@pytest.mark.parametrize("suite", ["raw_binance__funding", "raw_binance__spot_klines", "raw_bybit__funding",
                                   "raw_coinglass__oi_aggregated", "raw_coinglass__funding_oi_weighted",
                                   "raw_coinglass__liquidations", "raw_farside__flows",
                                   "raw_defillama__stablecoin_supply", "raw_cryptoquant__exchange_reserve",
                                   "raw_coinmetrics__asset_metrics", "raw_coinalyze__open_interest"])
def test_real_history_passes_its_gate(landed, suite):
    report = gates.validate(landed[suite], suite)
    assert report.success, report.messages()


def _day(frame: pd.DataFrame, column: str, day: str) -> pd.Series:
    return frame[pd.to_datetime(frame[column]).dt.date == date.fromisoformat(day)].iloc[0]


def test_the_real_cascade_days_are_in_what_passed(landed):
    """The days the plausibility rules must let through: real all-exchange OI -28 % on 2021-05-19 and -19 % on
    2022-11-09 (CoinGlass), Binance funding at its +-0.3 %/8h cap in 2020, the 2025-10-10 flush."""
    oi = landed["raw_coinglass__oi_aggregated"]
    change = lambda a, b: _day(oi, "time", b)["close_usd"] / _day(oi, "time", a)["close_usd"] - 1  # noqa: E731
    assert change("2021-05-18", "2021-05-19") < -0.27
    assert change("2022-11-08", "2022-11-09") < -0.18
    assert change("2025-10-09", "2025-10-10") < -0.15
    funding = landed["raw_binance__funding"]
    in_2020 = funding[pd.to_datetime(funding["funding_time"]).dt.year == 2020]["funding_rate"]
    assert in_2020.max() >= 0.0029 and in_2020.min() <= -0.0029


def test_the_stale_coinglass_day_is_landed_as_served(landed):
    """CoinGlass's daily export repeats 2022-11-07's OI on 2022-11-08: landed as the provider served it (raw
    keeps what was served); the models name it stale rather than reading it as no change."""
    oi = landed["raw_coinglass__oi_aggregated"]
    assert _day(oi, "time", "2022-11-07")["close_usd"] == _day(oi, "time", "2022-11-08")["close_usd"]


@pytest.mark.parametrize("suite, column, factor", [
    ("raw_coinglass__oi_aggregated", "close_usd", 1000),
    ("raw_binance__funding", "funding_rate", None),
    ("raw_defillama__stablecoin_supply", "circulating_usd", 1000),
])
def test_the_corruptions_stay_blocked_on_real_history(landed, suite, column, factor):
    frame = landed[suite].copy()
    if factor is None:
        frame[column] = 0.02  # every funding rate 2 %/8h
    else:
        frame[column] *= factor
    assert not gates.validate(frame, suite).success

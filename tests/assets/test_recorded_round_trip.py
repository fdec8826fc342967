"""Each recorded file, served by its provider's lens and landed by the unchanged connector, lands its own values
on every row (units and time stamps included), and nothing on a day the file lacks."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.feeds import binance, bybit, coinglass, coinmetrics, cryptoquant, defillama, farside
from orchestration.feeds.base import Window
from orchestration.feeds.http import FeedClient, RateLimiter
from orchestration.raw_store import land, raw_table
from orchestration.recorded import files
from orchestration.recorded.transport import RecordedTransport
from orchestration.recorded.world import RecordedWorld

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def world(request):
    from tests.conftest import REALDATA

    if not REALDATA.is_dir():
        pytest.skip(f"real recorded data not found at {REALDATA} (it lives beside the project, not in it)")
    return RecordedWorld(REALDATA)


def landed(world, dataset, window, tmp_path):
    """(raw table ordered by its time column, statuses by day) for ``window`` landed from the recorded world."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    client = FeedClient(dataset.provider, RecordedTransport(world, now=NOW), rate_limiter=RateLimiter(0),
                        sleep=lambda s: None)
    result = land(dataset, window, client, tmp_path / "raw", con, NOW, raise_on_error=False)
    frame = con.execute(f"select * from {raw_table(dataset)} order by {dataset.time_column}").df()
    statuses = dict(con.execute("select partition_date, status from raw._landing_status").fetchall())
    con.close()
    assert result.error is None, result.error
    return frame, statuses


def utc(ms) -> pd.Series:
    return pd.to_datetime(pd.Series(ms, dtype="int64"), unit="ms")


def test_binance_funding_lands_the_file_exactly(world, tmp_path):
    window = Window(date(2020, 3, 1), date(2020, 4, 30))
    frame, statuses = landed(world, binance.DATASETS["funding"], window, tmp_path)
    recorded = world.binance_funding
    recorded = recorded[utc(recorded["time_ms"]).dt.date.between(window.start, window.end).to_numpy()]
    assert len(frame) == len(recorded) == 61 * 3
    assert frame["funding_rate"].tolist() == recorded["rate"].tolist()
    expected = utc(recorded["time_ms"] // 1000 * 1000)  # Binance's few ms past the hour, floored to the second
    assert (frame["funding_time"].reset_index(drop=True) == expected.reset_index(drop=True)).all()
    assert frame["mark_price"].isna().all()  # not recorded: never invented
    assert set(statuses.values()) == {"landed"}


def test_binance_spot_klines_land_ohlcv_and_leave_unrecorded_fields_null(world, tmp_path):
    window = Window(date(2020, 2, 18), date(2020, 2, 20))  # 2020-02-19 11:00-17:00 was a maintenance halt
    frame, statuses = landed(world, binance.DATASETS["spot_klines"], window, tmp_path)
    spot = world.spot_hourly
    spot = spot[utc(spot["time_ms"]).dt.date.between(window.start, window.end).to_numpy()].reset_index(drop=True)
    assert len(frame) == len(spot) < 72  # the missing hours are missing, not filled
    assert (frame["open_time"] == utc(spot["time_ms"])).all()
    assert (frame["close_time"] == utc(spot["time_ms"] + 3_599_000)).all()  # floored to the second
    for column in ("open", "high", "low", "close", "volume"):
        assert frame[column].tolist() == spot[column].tolist()
    assert frame[["quote_volume", "trades", "taker_buy_base", "taker_buy_quote"]].isna().all().all()
    assert set(statuses.values()) == {"landed"}


def test_bybit_funding_lands_in_utc(world, tmp_path):
    window = Window(date(2021, 1, 1), date(2021, 1, 10))
    frame, _ = landed(world, bybit.DATASETS["funding"], window, tmp_path)
    recorded = world.bybit_funding.iloc[:30]
    assert frame["funding_rate"].tolist() == recorded["rate"].tolist()
    assert frame["funding_time"].iloc[0] == pd.Timestamp("2021-01-01 00:00")  # the file's 03:00 UTC+3


def test_bybit_days_after_the_file_land_unavailable_not_empty(world, tmp_path):
    frame, statuses = landed(world, bybit.DATASETS["funding"], Window(date(2023, 12, 30), date(2024, 1, 2)), tmp_path)
    assert {d: s for d, s in statuses.items()} == {date(2023, 12, 30): "landed", date(2023, 12, 31): "landed",
                                                    date(2024, 1, 1): "unavailable", date(2024, 1, 2): "unavailable"}
    assert pd.to_datetime(frame["funding_time"]).dt.date.max() == date(2023, 12, 31)


def test_coinglass_daily_aggregates_land_the_export_and_its_gaps(world, tmp_path):
    window = Window(date(2021, 4, 10), date(2021, 5, 25))
    daily = files.coinglass_daily(world.path("coinglass_daily")).set_index("date")
    expect = daily.loc[window.start:window.end]
    oi, _ = landed(world, coinglass.DATASETS["oi_aggregated"], window, tmp_path / "oi")
    assert oi["close_usd"].tolist() == expect["oi_usd"].tolist()
    assert oi[["open_usd", "high_usd", "low_usd"]].isna().all().all()  # the export kept the close only
    funding, _ = landed(world, coinglass.DATASETS["funding_oi_weighted"], window, tmp_path / "f")
    assert funding["close_pct"].tolist() == expect["funding_pct"].tolist()  # percent per 8 h, as landed live
    liq, _ = landed(world, coinglass.DATASETS["liquidations"], window, tmp_path / "l")
    assert liq["long_usd"].tolist() == expect["liq_long_usd"].tolist()
    assert liq["short_usd"].tolist() == expect["liq_short_usd"].tolist()
    assert (pd.to_datetime(oi["time"]).dt.date == list(expect.index)).all()


def test_coinglass_oi_after_the_daily_export_comes_from_complete_4h_days(world, tmp_path):
    window = Window(date(2025, 10, 8), date(2025, 10, 12))
    frame, statuses = landed(world, coinglass.DATASETS["oi_aggregated"], window, tmp_path)
    bars = files.coinglass_4h(world.path("coinglass_oi_4h"), "oi")
    bars["day"] = utc(bars["time_ms"]).dt.date
    for _, row in frame.iterrows():
        day = bars[bars["day"] == row["time"].date()]
        assert len(day) == 6
        assert (row["open_usd"], row["high_usd"], row["low_usd"], row["close_usd"]) == (
            day["open"].iat[0], day["high"].max(), day["low"].min(), day["close"].iat[-1])
    assert len(frame) == 5 and set(statuses.values()) == {"landed"}
    ten = frame[pd.to_datetime(frame["time"]).dt.date == date(2025, 10, 10)].iloc[0]
    assert ten["close_usd"] < 0.9 * ten["open_usd"]  # the 2025-10-10 flush, as CoinGlass recorded it


def test_farside_page_is_served_byte_for_byte(world, tmp_path):
    frame, statuses = landed(world, farside.DATASETS["flows"], Window(date(2024, 1, 10), date(2024, 1, 16)), tmp_path)
    parsed = pd.DataFrame(farside.DATASETS["flows"].parse(world.farside_page))
    parsed = parsed[parsed["date"].between(date(2024, 1, 10), date(2024, 1, 16))]
    assert len(frame) == len(parsed) > 0
    assert sorted(frame["flow_usd_m"].dropna().tolist()) == sorted(parsed["flow_usd_m"].dropna().tolist())
    assert statuses[date(2024, 1, 10)] == "unavailable"  # before the page's first row
    assert statuses[date(2024, 1, 13)] == "no_rows" and statuses[date(2024, 1, 11)] == "landed"  # a Saturday


def test_daily_onchain_files_land_their_values(world, tmp_path):
    window = Window(date(2022, 11, 1), date(2022, 11, 15))
    supply, _ = landed(world, defillama.DATASETS["stablecoin_supply"], window, tmp_path / "d")
    recorded = files.defillama_supply(world.path("defillama_supply")).set_index("date").loc[window.start:window.end]
    assert supply["circulating_usd"].tolist() == recorded["value"].tolist()
    reserve, _ = landed(world, cryptoquant.DATASETS["exchange_reserve"], window, tmp_path / "c")
    recorded = files.cryptoquant_reserve(world.path("cryptoquant_reserve")).set_index("date").loc[window.start:window.end]
    assert reserve["reserve_btc"].tolist() == recorded["value"].tolist()
    assert reserve["reserve_usd"].isna().all()


def test_coinmetrics_excerpt_lands_its_text_exactly_and_only_its_days(world, tmp_path):
    frame, statuses = landed(world, coinmetrics.DATASETS["asset_metrics"], Window(date(2021, 4, 14), date(2021, 4, 22)),
                             tmp_path)
    rows = world.coinmetrics_rows.set_index("date").loc[date(2021, 4, 16):date(2021, 4, 20)]
    assert frame["price_usd"].tolist() == [float(v) for v in rows["PriceUSD"]]
    assert frame["supply_exchanges_btc"].tolist() == [float(v) for v in rows["SplyExNtv"]]
    assert statuses[date(2021, 4, 15)] == "unavailable" and statuses[date(2021, 4, 16)] == "landed"


def test_a_dataset_with_nothing_recorded_lands_every_day_unavailable_without_asking(world, tmp_path):
    class Refusing(RecordedTransport):
        def send(self, request, timeout):
            raise AssertionError(f"asked {request.host} for a dataset nothing was recorded for")

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    dataset = binance.DATASETS["open_interest"]
    client = FeedClient(dataset.provider, Refusing(world, now=NOW), rate_limiter=RateLimiter(0), sleep=lambda s: None)
    result = land(dataset, Window(date(2023, 1, 1), date(2023, 1, 31)), client, tmp_path / "raw", con, NOW)
    assert {status for status, _ in result.statuses.values()} == {"unavailable"} and result.rows == 0
    assert con.execute(f"select count(*) from {raw_table(dataset)}").fetchone()[0] == 0


def test_a_day_missing_from_a_file_lands_no_value(world, tmp_path):
    """Remove one day from a copy of the recorded folder: that day lands unavailable, its neighbours land."""
    import shutil

    copy = tmp_path / "realdata"
    shutil.copytree(world.root / "defillama", copy / "defillama")
    path = copy / files.LAYOUT.defillama_supply
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("2023-03-11,")))
    frame, statuses = landed(RecordedWorld(copy), defillama.DATASETS["stablecoin_supply"],
                             Window(date(2023, 3, 10), date(2023, 3, 12)), tmp_path)
    assert statuses == {date(2023, 3, 10): "landed", date(2023, 3, 11): "unavailable", date(2023, 3, 12): "landed"}
    assert sorted(pd.to_datetime(frame["date"]).dt.date) == [date(2023, 3, 10), date(2023, 3, 12)]

"""Hyperliquid in the recorded world: the HYPERLIQUID column of CoinGlass's per-exchange OI file, served as
Coinalyze's ``BTCUSD_PERP.H`` daily bars (landed by the unchanged connector) and as Hyperliquid's own
``metaAndAssetCtxs`` snapshot; its funding was not recorded and nothing is invented for it."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import duckdb
import pandas as pd
import pytest

from orchestration.feeds import coinalyze
from orchestration.feeds.base import Window
from orchestration.feeds.http import FeedClient, HttpRequest, RateLimiter
from orchestration.raw_store import land, raw_table
from orchestration.recorded.transport import RecordedTransport
from orchestration.recorded.world import RecordedWorld

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
INFO = "https://api.hyperliquid.xyz/info"
FILE = "coinglass/btc_oi_by_exchange_4h_usd.csv"


@pytest.fixture(scope="module")
def world():
    from tests.conftest import REALDATA

    if not REALDATA.is_dir():
        pytest.skip(f"real recorded data not found at {REALDATA} (it lives beside the project, not in it)")
    return RecordedWorld(REALDATA)


@pytest.fixture(scope="module")
def levels(world) -> pd.Series:
    """The file's Hyperliquid levels (USD) by instant, read independently of the recorded world."""
    frame = pd.read_csv(world.root / FILE)
    return pd.Series(frame["HYPERLIQUID"].to_numpy(float),
                     index=pd.to_datetime(frame["time_utc"], utc=True).dt.tz_localize(None))


def post(transport, body: dict):
    return transport.send(HttpRequest("POST", INFO, {}, {"Content-Type": "application/json"},
                                      json.dumps(body).encode()), 5.0)


def test_coinalyze_btc_h_lands_daily_bars_closing_at_the_day_end_level(world, levels, tmp_path):
    dataset = coinalyze.OpenInterest({"hyperliquid": "BTCUSD_PERP.H"})
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    client = FeedClient(dataset.provider, RecordedTransport(world, now=NOW), rate_limiter=RateLimiter(0),
                        sleep=lambda s: None)
    window = Window(date(2025, 9, 8), date(2025, 10, 12))
    result = land(dataset, window, client, tmp_path / "raw", con, NOW, raise_on_error=False)
    assert result.error is None, result.error
    frame = con.execute(f"select * from {raw_table(dataset)} order by t").df()
    statuses = dict(con.execute("select partition_date, status from raw._landing_status").fetchall())
    con.close()
    gap = [date(2025, 9, 11) + timedelta(days=i) for i in range(8)]  # the file's gap: no day of it is complete
    assert {statuses[d] for d in gap} == {"unavailable"}
    assert statuses[date(2025, 9, 10)] == "landed" and statuses[date(2025, 9, 19)] == "landed"
    assert set(frame["venue"]) == {"hyperliquid"} and not set(pd.to_datetime(frame["t"]).dt.date) & set(gap)
    for row in frame.itertuples():
        day = pd.Timestamp(row.t)
        seven = levels[day: day + pd.Timedelta(hours=24)]
        assert len(seven) == 7
        assert (row.open_usd, row.close_usd) == (seven.iloc[0], seven.iloc[-1])
        assert (row.high_usd, row.low_usd) == (seven.max(), seven.min())
    flush = frame.set_index(pd.to_datetime(frame["t"]))["close_usd"]
    assert flush["2025-10-10"] < 0.55 * flush["2025-10-09"]  # real: 4.56 -> 2.21 bn


def test_coinalyze_serves_nothing_else(world):
    transport = RecordedTransport(world, now=NOW)
    start = int(datetime(2025, 10, 1, tzinfo=timezone.utc).timestamp())
    for path, extra in (("open-interest-history", {"convert_to_usd": "true"}), ("funding-rate-history", {}),
                        ("liquidation-history", {"convert_to_usd": "true"})):
        params = {"symbols": "BTCUSDT_PERP.A,BTCUSD_PERP.H", "interval": "daily", "from": str(start),
                  "to": str(start + 5 * 86_400), **extra}
        body = json.loads(transport.send(HttpRequest("GET", f"https://api.coinalyze.net/v1/{path}", params), 5).body)
        assert body[0] == {"symbol": "BTCUSDT_PERP.A", "history": []}
        assert (body[1]["history"] != []) == (path == "open-interest-history"), path
    assert world.days_held("coinalyze", "funding") == frozenset() == world.days_held("hyperliquid", "funding")


def test_snapshot_is_the_recorded_level_over_the_recorded_price(world, levels):
    instant = pd.Timestamp("2025-10-11 00:00")
    now = datetime(2025, 10, 11, 0, 20, tzinfo=timezone.utc)
    response = post(RecordedTransport(world, now=now), {"type": "metaAndAssetCtxs"})
    assert response.status == 200 and parsedate_to_datetime(response.headers["Date"]) == now
    meta, ctxs = json.loads(response.body)
    assert meta["universe"][0]["name"] == "BTC" and len(ctxs) == len(meta["universe"])
    price = world.spot_hourly.set_index("time_ms")["open"][int(instant.value // 1_000_000)]
    assert float(ctxs[0]["markPx"]) == pytest.approx(price, abs=0.05)
    assert float(ctxs[0]["openInterest"]) == pytest.approx(levels[instant] / price, abs=1e-5)
    assert date(2025, 10, 10) in world.days_held("hyperliquid", "open_interest")


def test_no_snapshot_or_funding_where_nothing_was_recorded(world):
    for now in (datetime(2025, 9, 14, 1, tzinfo=timezone.utc), datetime(2024, 1, 1, tzinfo=timezone.utc)):
        assert json.loads(post(RecordedTransport(world, now=now), {"type": "metaAndAssetCtxs"}).body) == [
            {"universe": []}, []]
    funding = post(RecordedTransport(world, now=NOW), {"type": "fundingHistory", "coin": "BTC", "startTime": 0})
    assert (funding.status, json.loads(funding.body)) == (200, [])
    assert date(2025, 9, 14) not in world.days_held("hyperliquid", "open_interest")

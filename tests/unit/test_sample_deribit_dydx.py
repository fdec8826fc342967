"""The Deribit and dYdX lenses answer the real URLs in each provider's own shapes, limits and errors, with
numbers taken from the one sample world; the connectors page through them unchanged."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import numpy as np
import pytest

from orchestration.feeds import deribit, dydx
from orchestration.feeds.base import Window, fetch, utc_time
from orchestration.feeds.http import FeedClient, HttpRequest, RateLimiter
from orchestration.sample.dydx import LAUNCH_MS
from orchestration.sample.transport import SampleTransport
from orchestration.sample.world import DYDX_LAUNCH, START_MS

NOW = datetime(2025, 10, 15, 0, 30, tzinfo=timezone.utc)
NOW_MS = int(NOW.timestamp() * 1000)
H, D = 3_600_000, 86_400_000
FUNDING = "https://www.deribit.com/api/v2/public/get_funding_rate_history"
BOOK = "https://www.deribit.com/api/v2/public/get_book_summary_by_instrument"
DYDX_FUNDING = "https://indexer.dydx.trade/v4/historicalFunding/BTC-USD"
CANDLES = "https://indexer.dydx.trade/v4/candles/perpetualMarkets/BTC-USD"
SEP_2025 = int(datetime(2025, 9, 1, tzinfo=timezone.utc).timestamp() * 1000)


@pytest.fixture(scope="module")
def transport():
    return SampleTransport(now=NOW)


def get(transport, url, **params):
    response = transport.send(HttpRequest("GET", url, {k: str(v) for k, v in params.items()}), 5.0)
    assert response.headers["Content-Type"] == "application/json"
    return response.status, json.loads(response.body)


def hourly(transport, column: str) -> np.ndarray:
    return transport.world.hourly[column].to_numpy(float)


def client(transport, spec) -> FeedClient:
    return FeedClient(spec, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)


def rows_of(pages) -> list[dict]:
    return [r for _, page_rows in pages for r in page_rows]


# -- Deribit ----------------------------------------------------------------------------------------------
def test_deribit_funding_rows_come_from_the_world(transport):
    status, body = get(transport, FUNDING, instrument_name="BTC-PERPETUAL", start_timestamp=SEP_2025,
                       end_timestamp=SEP_2025 + D)
    assert status == 200 and body["jsonrpc"] == "2.0" and body["usOut"] >= body["usIn"]
    rows = body["result"]
    assert [r["timestamp"] for r in rows] == [SEP_2025 + i * H for i in range(25)]  # both ends inclusive
    i1 = hourly(transport, "funding_8h_deribit") / 8
    for r in rows:
        hour = (r["timestamp"] - START_MS) // H - 1  # the hour ending at the row's timestamp
        assert isinstance(r["interest_1h"], float) and r["interest_1h"] == pytest.approx(i1[hour], abs=1e-10)
        assert r["interest_8h"] == pytest.approx(i1[hour - 7: hour + 1].sum(), abs=1e-9)
        assert r["index_price"] == pytest.approx(float(transport.world.price_at(r["timestamp"])), abs=0.01)
        assert r["prev_index_price"] == pytest.approx(float(transport.world.price_at(r["timestamp"] - H)), abs=0.01)


def test_deribit_funding_limits(transport):
    rows = get(transport, FUNDING, instrument_name="BTC-PERPETUAL", start_timestamp=SEP_2025,
               end_timestamp=SEP_2025 + 40 * D)[1]["result"]
    assert len(rows) == 744  # at most 744 rows a call
    recent = get(transport, FUNDING, instrument_name="BTC-PERPETUAL", start_timestamp=NOW_MS - 5 * H,
                 end_timestamp=NOW_MS + 5 * H)[1]["result"]
    assert recent and recent[-1]["timestamp"] <= NOW_MS  # nothing after now
    assert get(transport, FUNDING, instrument_name="BTC-PERPETUAL", start_timestamp=0,
               end_timestamp=START_MS)[1]["result"] == []  # nothing before the world


def test_deribit_errors(transport):
    status, body = get(transport, FUNDING, instrument_name="BTC-PERPETUAL", start_timestamp=SEP_2025)
    assert status == 400 and body["error"]["code"] == -32602 and body["error"]["message"] == "Invalid params"
    assert body["error"]["data"]["param"] == "end_timestamp"
    assert get(transport, FUNDING, instrument_name="ETH-PERPETUAL", start_timestamp=1, end_timestamp=2)[0] == 400
    assert get(transport, FUNDING, instrument_name="BTC-PERPETUAL", start_timestamp="x", end_timestamp=2)[0] == 400
    status, body = get(transport, "https://www.deribit.com/api/v2/public/get_index")
    assert status == 404 and body["error"]["code"] == -32601


def test_deribit_book_summary_is_the_world_now(transport):
    status, body = get(transport, BOOK, instrument_name="BTC-PERPETUAL")
    (summary,) = body["result"]
    price = float(transport.world.price_at(NOW_MS))
    assert status == 200 and summary["creation_timestamp"] == NOW_MS and summary["instrument_name"] == "BTC-PERPETUAL"
    assert summary["open_interest"] % 10 == 0  # whole 10 USD contracts
    assert summary["open_interest"] == pytest.approx(float(transport.world.venue_oi_btc_at("deribit", NOW_MS)) * price,
                                                     abs=5)
    assert summary["mark_price"] == pytest.approx(price, abs=0.01)


def test_deribit_funding_window_through_fetch(transport):
    window = Window(date(2025, 7, 1), date(2025, 8, 31))  # 62 days = 1488 hours = 2 chunks of 744
    pages = fetch(client(transport, deribit.PROVIDER), deribit.Funding(), window, NOW)
    rows = rows_of(pages)
    assert len(pages) == 2 and len(rows) == 1488 and len({r["ts"] for r in rows}) == 1488
    assert rows[0]["ts"] == datetime(2025, 7, 1) and rows[-1]["ts"] == datetime(2025, 8, 31, 23)


def test_deribit_oi_snapshot_through_fetch(transport):
    window = Window(date(2025, 10, 10), date(2025, 10, 14))
    dataset = deribit.OpenInterest()
    pages = fetch(client(transport, deribit.PROVIDER), dataset, window, NOW)
    (row,) = rows_of(pages)
    assert row["ts"] == datetime(2025, 10, 15, 0, 30) and dataset.servable_days(window, NOW) == [date(2025, 10, 14)]
    later = SampleTransport(now=datetime(2025, 10, 15, 12))
    assert fetch(client(later, deribit.PROVIDER), dataset, window, later.now()) == []  # too late: nothing to ask


# -- dYdX -------------------------------------------------------------------------------------------------
def test_dydx_funding_newest_first_from_the_world(transport):
    status, body = get(transport, DYDX_FUNDING, limit=100)
    rows = body["historicalFunding"]
    assert status == 200 and len(rows) == 100
    times = [utc_time(r["effectiveAt"]) for r in rows]
    assert times == sorted(times, reverse=True) and times[0] == datetime(2025, 10, 15)  # nothing after now
    rates = hourly(transport, "funding_8h_dydx") / 8
    for r, t in zip(rows, times):
        ms = int(t.replace(tzinfo=timezone.utc).timestamp() * 1000)
        assert isinstance(r["rate"], str) and float(r["rate"]) == pytest.approx(rates[(ms - START_MS) // H - 1], abs=1e-12)
        assert float(r["price"]) == pytest.approx(float(transport.world.price_at(ms)), abs=1e-6)
    heights = [int(r["effectiveAtHeight"]) for r in rows]
    assert heights == sorted(heights, reverse=True)


def test_dydx_nothing_before_launch_and_limits(transport):
    before = get(transport, DYDX_FUNDING, limit=100, effectiveBeforeOrAt="2023-10-26T12:00:00.000Z")[1]
    assert before == {"historicalFunding": []}
    at_launch = get(transport, DYDX_FUNDING, limit=100, effectiveBeforeOrAt="2023-10-27T05:00:00.000Z")[1]
    assert len(at_launch["historicalFunding"]) == 5  # 01:00 .. 05:00
    status, body = get(transport, DYDX_FUNDING, limit=101)
    assert status == 400 and "not greater than max: 100" in body["errors"][0]["msg"]
    assert get(transport, CANDLES, resolution="1HOUR", toISO="2023-10-26T00:00:00.000Z")[1] == {"candles": []}
    (first,) = get(transport, CANDLES, resolution="1HOUR", toISO="2023-10-27T00:00:00.000Z")[1]["candles"]
    assert first["startedAt"] == "2023-10-27T00:00:00.000Z" and LAUNCH_MS == (DYDX_LAUNCH - date(1970, 1, 1)).days * D


def test_dydx_errors(transport):
    status, body = get(transport, CANDLES, resolution="1HR")
    assert status == 400 and "valid Candle Resolution" in body["errors"][0]["msg"]
    assert get(transport, CANDLES, resolution="1HOUR", fromISO="yesterday")[0] == 400
    assert get(transport, "https://indexer.dydx.trade/v4/historicalFunding/FOO-USD")[0] == 404
    status, body = get(transport, "https://indexer.dydx.trade/v4/orderbooks/perpetualMarket/BTC-USD")
    assert status == 404 and body["errors"][0]["msg"]


def test_dydx_candles_carry_the_world_oi(transport):
    candles = get(transport, CANDLES, resolution="1HOUR", limit=30)[1]["candles"]
    assert len(candles) == 30 and candles[0]["startedAt"] == "2025-10-15T00:00:00.000Z"  # the open candle
    for c in candles:
        ms = int(utc_time(c["startedAt"]).replace(tzinfo=timezone.utc).timestamp() * 1000)
        assert float(c["startingOpenInterest"]) == pytest.approx(
            float(transport.world.venue_oi_btc_at("dydx", ms)), abs=1e-4)
        assert float(c["low"]) <= min(float(c["open"]), float(c["close"])) <= float(c["high"]) + 1
        assert c["resolution"] == "1HOUR" and isinstance(c["trades"], int)
    daily = get(transport, CANDLES, resolution="1DAY", limit=3)[1]["candles"]
    assert [c["startedAt"][:10] for c in daily] == ["2025-10-15", "2025-10-14", "2025-10-13"]


@pytest.mark.parametrize("dataset, column", [(dydx.Funding(), "effective_at"), (dydx.OpenInterest(), "started_at")])
def test_dydx_window_through_fetch(transport, dataset, column):
    window = Window(date(2025, 10, 1), date(2025, 10, 10))  # 240 hours: 3 pages newest first
    pages = fetch(client(transport, dydx.PROVIDER), dataset, window, NOW)
    stamps = [r[column] for r in rows_of(pages)]
    in_window = sorted(t for t in stamps if datetime(2025, 10, 1) <= t < datetime(2025, 10, 11))
    assert len(pages) == 3 and len(set(stamps)) == len(stamps)
    assert in_window == [datetime(2025, 10, 1) + i * (datetime(2025, 1, 1, 1) - datetime(2025, 1, 1))
                         for i in range(240)]


def test_dydx_window_straddling_launch_through_fetch(transport):
    pages = fetch(client(transport, dydx.PROVIDER), dydx.OpenInterest(), Window(date(2023, 10, 20), date(2023, 10, 28)),
                  NOW)
    stamps = sorted(r["started_at"] for r in rows_of(pages))
    assert stamps[0] == datetime(2023, 10, 27) and len(stamps) == 48

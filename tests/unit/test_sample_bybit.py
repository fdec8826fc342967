"""The Bybit lens answers Bybit's v5 URLs in Bybit's envelope, limits and error forms, consistent with the
sample world."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import numpy as np
import pytest

from orchestration.feeds.http import HttpRequest
from orchestration.sample.transport import SampleTransport
from orchestration.sample.world import START_MS

NOW = datetime(2025, 10, 15, 12, 3, 20)
NOW_MS = int(NOW.replace(tzinfo=timezone.utc).timestamp() * 1000)
FUNDING = "https://api.bybit.com/v5/market/funding/history"
OI = "https://api.bybit.com/v5/market/open-interest"
BASE = {"category": "linear", "symbol": "BTCUSDT"}
LAUNCH_MS = 1585094400000  # 2020-03-25
H, D = 3_600_000, 86_400_000
NUMBER = re.compile(r"-?\d+(\.\d+)?")


@pytest.fixture(scope="module")
def transport():
    return SampleTransport(now=NOW)


def get(transport, url, **params):
    merged = {**BASE, **params}
    return transport.send(HttpRequest("GET", url, {k: str(v) for k, v in merged.items() if v is not None}), 5.0)


def get_json(transport, url, **params):
    response = get(transport, url, **params)
    assert response.status == 200 and response.headers["Content-Type"] == "application/json"
    body = json.loads(response.body)
    assert list(body) == ["retCode", "retMsg", "result", "retExtInfo", "time"]
    return body


# -- funding history ------------------------------------------------------------------------------------
def test_funding_shape_schedule_and_order(transport):
    body = get_json(transport, FUNDING, startTime=NOW_MS - 30 * D, endTime=NOW_MS)
    assert body["retCode"] == 0 and body["retMsg"] == "OK" and body["time"] == NOW_MS
    rows = body["result"]["list"]
    # 16:00 on day -30, then 29 full days, then 00:00 and 08:00 today
    assert body["result"]["category"] == "linear" and len(rows) == 90
    for row in rows:
        assert list(row) == ["symbol", "fundingRate", "fundingRateTimestamp"] and row["symbol"] == "BTCUSDT"
        assert NUMBER.fullmatch(row["fundingRate"]) and abs(float(row["fundingRate"])) <= 0.00375
        assert isinstance(row["fundingRateTimestamp"], str) and int(row["fundingRateTimestamp"]) % (8 * H) == 0
    times = [int(r["fundingRateTimestamp"]) for r in rows]
    assert times == sorted(times, reverse=True) and times[0] <= NOW_MS < times[0] + 8 * H


def test_funding_is_the_worlds_bybit_premium_through_the_clamp(transport):
    rows = get_json(transport, FUNDING, endTime=NOW_MS, limit=50)["result"]["list"]
    premium = transport.world.hourly["funding_8h_bybit"].to_numpy(float)
    for row in rows:
        k = (int(row["fundingRateTimestamp"]) - START_MS) // H
        mean = premium[k - 8:k].mean()
        expected = np.clip(mean + np.clip(0.0001 - mean, -0.0005, 0.0005), -0.00375, 0.00375)
        assert float(row["fundingRate"]) == pytest.approx(expected, abs=1e-8)
    assert sum(r["fundingRate"] == "0.0001" for r in rows) > 5  # the clamp's default rate shows up


def test_funding_limits_history_and_paging(transport):
    assert len(get_json(transport, FUNDING)["result"]["list"]) == 200  # default: the latest 200
    assert len(get_json(transport, FUNDING, limit=3)["result"]["list"]) == 3
    early = get_json(transport, FUNDING, startTime=LAUNCH_MS - 10 * D, endTime=LAUNCH_MS + D)["result"]["list"]
    assert [int(r["fundingRateTimestamp"]) for r in early] == [LAUNCH_MS + i * 8 * H for i in (3, 2, 1, 0)]
    future = get_json(transport, FUNDING, startTime=NOW_MS + D, endTime=NOW_MS + 2 * D)["result"]["list"]
    assert future == []


@pytest.mark.parametrize("params, message", [
    ({"symbol": "ETHUSDT"}, "params error: symbol invalid"),
    ({"category": "inverse"}, "params error: category invalid"),
    ({"limit": 201}, "params error: limit invalid"),
    ({"startTime": "abc", "endTime": 1}, "params error: startTime invalid"),
    ({"startTime": NOW_MS}, "params error: endTime is required when startTime is given"),
    ({"startTime": NOW_MS, "endTime": NOW_MS - 1}, "params error: startTime must be earlier than endTime"),
])
def test_funding_errors_are_retcode_10001(transport, params, message):
    body = get_json(transport, FUNDING, **params)
    assert (body["retCode"], body["retMsg"]) == (10001, message)


# -- open interest --------------------------------------------------------------------------------------
def test_oi_shape_values_and_limits(transport):
    body = get_json(transport, OI, intervalTime="1h")
    result = body["result"]
    assert list(result) == ["symbol", "category", "list", "nextPageCursor"] and len(result["list"]) == 50
    stamps = [int(r["timestamp"]) for r in result["list"]]
    assert stamps[0] == NOW_MS // H * H and stamps == [stamps[0] - i * H for i in range(50)]
    for row in result["list"]:
        assert list(row) == ["openInterest", "timestamp"] and NUMBER.fullmatch(row["openInterest"])
        expected = float(transport.world.venue_oi_btc_at("bybit", int(row["timestamp"])))
        assert float(row["openInterest"]) == pytest.approx(expected, abs=0.001)
    assert len(get_json(transport, OI, intervalTime="1h", limit=200)["result"]["list"]) == 200
    daily = get_json(transport, OI, intervalTime="1d", limit=3)["result"]["list"]
    assert [int(r["timestamp"]) for r in daily] == [NOW_MS // D * D - i * D for i in range(3)]


def test_oi_cursor_pages_through_a_window_exactly_once(transport):
    start, end = NOW_MS - 20 * D, NOW_MS - 10 * D
    seen, cursor, pages = [], None, 0
    while True:
        result = get_json(transport, OI, intervalTime="1h", startTime=start, endTime=end, limit=200,
                          cursor=cursor)["result"]
        seen += [int(r["timestamp"]) for r in result["list"]]
        pages, cursor = pages + 1, result["nextPageCursor"]
        if not cursor:
            break
    assert pages == 2
    expected = list(range(end // H * H, start - 1, -H))
    assert seen == [t for t in expected if t >= start] and len(seen) == 240


def test_oi_history_starts_at_launch_and_stops_at_now(transport):
    old = get_json(transport, OI, intervalTime="1h", startTime=LAUNCH_MS - D, endTime=LAUNCH_MS + 2 * H)["result"]
    assert [int(r["timestamp"]) for r in old["list"]] == [LAUNCH_MS + 2 * H, LAUNCH_MS + H, LAUNCH_MS]
    assert old["nextPageCursor"] == ""
    future = get_json(transport, OI, intervalTime="1h", startTime=NOW_MS + H, endTime=NOW_MS + D)["result"]
    assert future["list"] == [] and future["nextPageCursor"] == ""


@pytest.mark.parametrize("params, message", [
    ({"intervalTime": "2h"}, "params error: intervalTime invalid"),
    ({}, "params error: intervalTime invalid"),
    ({"intervalTime": "1h", "cursor": "not-a-cursor"}, "params error: cursor invalid"),
    ({"intervalTime": "1h", "symbol": "BTCUSD"}, "params error: symbol invalid"),
])
def test_oi_errors_are_retcode_10001(transport, params, message):
    body = get_json(transport, OI, **params)
    assert (body["retCode"], body["retMsg"]) == (10001, message)


def test_unknown_path_is_404(transport):
    response = get(transport, "https://api.bybit.com/v5/market/tickers")
    assert response.status == 404

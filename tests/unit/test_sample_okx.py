"""The OKX lens answers OKX's real URLs in OKX's envelope, order, limits and error codes, consistent with the
sample world."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import numpy as np
import pytest

from orchestration.feeds.http import HttpRequest
from orchestration.sample.transport import SampleTransport
from orchestration.sample.world import sample_world

NOW = datetime(2025, 10, 15, 12, 3, 20)
NOW_MS = int(NOW.replace(tzinfo=timezone.utc).timestamp() * 1000)
FUNDING = "https://www.okx.com/api/v5/public/funding-rate-history"
STAT = "https://www.okx.com/api/v5/rubik/stat/contracts/open-interest-volume"
H, D = 3_600_000, 86_400_000
RATE = re.compile(r"-?0\.\d{1,10}|0")


@pytest.fixture(scope="module")
def transport():
    return SampleTransport(now=NOW)


def get(transport, url, **params):
    response = transport.send(HttpRequest("GET", url, {k: str(v) for k, v in params.items()}), 5.0)
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.body)
    assert list(body) == ["code", "msg", "data"]
    return response.status, body


def data(transport, url, **params):
    status, body = get(transport, url, **params)
    assert status == 200 and body["code"] == "0" and body["msg"] == "", body
    return body["data"]


# -- funding-rate-history -----------------------------------------------------------------------------
def test_funding_rows_newest_first_on_the_8h_schedule(transport):
    rows = data(transport, FUNDING, instId="BTC-USDT-SWAP")
    assert len(rows) == 100  # default limit
    times = [int(r["fundingTime"]) for r in rows]
    assert times == sorted(times, reverse=True) and times[0] <= NOW_MS < times[0] + 8 * H
    assert all(t % (8 * H) == 0 for t in times)
    for r in rows:
        assert set(r) == {"instType", "instId", "fundingRate", "realizedRate", "fundingTime", "method", "formulaType"}
        assert r["instId"] == "BTC-USDT-SWAP" and r["instType"] == "SWAP"
        assert RATE.fullmatch(r["fundingRate"]) and RATE.fullmatch(r["realizedRate"])
        assert abs(float(r["realizedRate"]) - float(r["fundingRate"])) < 1e-6


def test_funding_limit_and_cursors(transport):
    assert len(data(transport, FUNDING, instId="BTC-USDT-SWAP", limit=1000)) == 276  # capped at 400; 92 days
    after = NOW_MS - 10 * D
    rows = data(transport, FUNDING, instId="BTC-USDT-SWAP", after=after, limit=5)
    assert [int(r["fundingTime"]) for r in rows] == [after // (8 * H) * (8 * H) - i * 8 * H for i in range(5)]
    assert all(int(r["fundingTime"]) < after for r in rows)  # strictly earlier
    before = int(rows[-1]["fundingTime"])
    newer = data(transport, FUNDING, instId="BTC-USDT-SWAP", before=before, limit=3)
    assert [int(r["fundingTime"]) for r in newer] == [before + 3 * 8 * H, before + 2 * 8 * H, before + 8 * H]
    both = data(transport, FUNDING, instId="BTC-USDT-SWAP", after=after, before=before)
    assert len(both) == 4


def test_funding_history_is_three_months(transport):
    oldest = data(transport, FUNDING, instId="BTC-USDT-SWAP", limit=400)[-1]
    assert NOW_MS - 92 * D <= int(oldest["fundingTime"]) < NOW_MS - 92 * D + 8 * H
    assert data(transport, FUNDING, instId="BTC-USDT-SWAP", after=NOW_MS - 92 * D) == []


def test_funding_follows_the_world_okx_premium(transport):
    """Published rate = clamp formula on the 8 h mean of funding_8h_okx before the settlement."""
    world = sample_world()
    rows = data(transport, FUNDING, instId="BTC-USDT-SWAP", limit=400)
    hourly = world.hourly.set_index("ts")["funding_8h_okx"]
    for r in rows[:50]:
        t = datetime.fromtimestamp(int(r["fundingTime"]) / 1000, tz=timezone.utc).replace(tzinfo=None)
        mean = hourly[t - np.timedelta64(8, "h"): t - np.timedelta64(1, "h")].mean()
        expected = mean + np.clip(0.0001 - mean, -0.0005, 0.0005)
        assert float(r["fundingRate"]) == pytest.approx(expected, abs=1e-9)
    assert any(r["fundingRate"] == "0.0001" for r in rows) and any(r["fundingRate"] != "0.0001" for r in rows)


def test_funding_errors(transport):
    assert get(transport, FUNDING, instId="ETH-USDT-SWAP") == (
        200, {"code": "51001", "msg": "Instrument ID does not exist", "data": []})
    status, body = get(transport, FUNDING)
    assert status == 400 and body["code"] == "50014"
    status, body = get(transport, FUNDING, instId="BTC-USDT-SWAP", after="yesterday")
    assert status == 400 and body["code"] == "51000"


# -- open-interest-volume --------------------------------------------------------------------------------
def test_open_interest_hourly_newest_first_within_30_days(transport):
    rows = data(transport, STAT, ccy="BTC", period="1H")
    assert all(isinstance(x, str) for row in rows for x in row) and all(len(row) == 3 for row in rows)
    ts = [int(r[0]) for r in rows]
    assert ts == sorted(ts, reverse=True) and all(t % H == 0 for t in ts)
    assert ts[0] == NOW_MS // H * H  # the hour in progress is served
    assert ts[-1] >= NOW_MS - 30 * D and np.all(np.diff(ts) == -H)
    assert len(rows) == 500  # one answer holds at most 500 buckets (lens assumption)


def test_open_interest_begin_end_and_daily_history(transport):
    end = NOW_MS - 5 * D
    rows = data(transport, STAT, ccy="BTC", period="1H", begin=end - 10 * H, end=end)
    assert [int(r[0]) for r in rows] == [end // H * H - i * H for i in range(10)]  # begin <= ts <= end
    daily = data(transport, STAT, ccy="BTC", period="1D")
    assert len(daily) == 180 and all(int(r[0]) % D == 0 for r in daily)
    assert int(daily[-1][0]) >= NOW_MS - 180 * D
    assert data(transport, STAT, ccy="BTC", period="1D", end=NOW_MS - 181 * D) == []


def test_open_interest_is_okx_share_of_the_world(transport):
    world = sample_world()
    rows = data(transport, STAT, ccy="BTC", period="1D", begin=NOW_MS - 20 * D, end=NOW_MS - 10 * D)
    ts = np.array([int(r[0]) for r in rows], dtype=np.int64)
    expected = world.venue_oi_btc_at("okx", ts) * world.price_at(ts)
    assert np.allclose([float(r[1]) for r in rows], expected, atol=0.1)
    volume = np.array([float(r[2]) for r in rows])
    assert np.all((volume > 1e9) & (volume < 1e11))  # billions a day
    hourly = data(transport, STAT, ccy="BTC", period="1H", begin=int(ts[1]), end=int(ts[1]) + 23 * H)
    assert sum(float(r[2]) for r in hourly) == pytest.approx(volume[1], rel=1e-6)


def test_open_interest_in_progress_volume_only_counts_the_past(transport):
    (current,) = data(transport, STAT, ccy="BTC", period="1H", begin=NOW_MS // H * H)
    later = SampleTransport(now=datetime(2025, 10, 15, 12, 59, 0))
    (same,) = data(later, STAT, ccy="BTC", period="1H", begin=NOW_MS // H * H, end=NOW_MS // H * H)
    assert current[1] == same[1] and float(current[2]) < float(same[2])


def test_open_interest_errors(transport):
    assert get(transport, STAT, ccy="BTC", period="2H") == (400, {"code": "51000", "msg": "Parameter period error",
                                                                  "data": []})
    status, body = get(transport, STAT, ccy="ETHX", period="1H")
    assert status == 400 and body["code"] == "51000"
    status, body = get(transport, STAT, period="1H")
    assert status == 400 and body["code"] == "50014"
    status, body = get(transport, "https://www.okx.com/api/v5/public/open-interest")
    assert status == 404

"""Hyperliquid's info endpoint in the sample world: POST bodies in, Hyperliquid's shapes, paging, errors and Date
header out, consistent with the world; and Coinalyze's ``BTCUSD_PERP.H`` series of the same venue."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import numpy as np
import pytest

from orchestration.feeds.http import HttpRequest
from orchestration.sample import hyperliquid as lens
from orchestration.sample.coinalyze import HYPERLIQUID_COVERAGE
from orchestration.sample.transport import SampleTransport
from orchestration.sample.world import HOUR_MS, START_MS, sample_world

NOW = datetime(2025, 9, 21, 13, 47, 30, tzinfo=timezone.utc)
NOW_MS = int(NOW.timestamp() * 1000)
URL = "https://api.hyperliquid.xyz/info"
SEP_1 = int(datetime(2025, 9, 1, tzinfo=timezone.utc).timestamp() * 1000)


@pytest.fixture(scope="module")
def transport():
    return SampleTransport(now=NOW)


def post(transport, body, url=URL, method="POST"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return transport.send(HttpRequest(method, url, {}, {"Content-Type": "application/json"}, raw), 5.0)


def answer(transport, body):
    response = post(transport, body)
    assert response.status == 200, response.text()
    return json.loads(response.body)


def funding(transport, start, end=None, coin="BTC"):
    return answer(transport, {"type": "fundingHistory", "coin": coin, "startTime": start,
                              **({} if end is None else {"endTime": end})})


# -- fundingHistory ----------------------------------------------------------------------------------------------
def test_funding_history_rows_follow_hyperliquid_formula_on_the_world_premium(transport):
    rows = funding(transport, SEP_1, SEP_1 + 24 * HOUR_MS)
    assert len(rows) == 24 and [set(r) for r in rows] == [{"coin", "fundingRate", "premium", "time"}] * 24
    premium = sample_world().hourly["funding_8h_hyperliquid"].to_numpy(float)
    for r in rows:
        boundary = r["time"] // HOUR_MS * HOUR_MS
        assert r["coin"] == "BTC" and 0 < r["time"] - boundary < 100  # a few ms past the hour
        assert isinstance(r["fundingRate"], str) and isinstance(r["premium"], str) and "e" not in r["fundingRate"]
        p = float(r["premium"])
        assert p == pytest.approx(premium[(boundary - START_MS) // HOUR_MS - 1], abs=1e-8)  # the hour ending here
        assert float(r["fundingRate"]) == pytest.approx((p + np.clip(0.0001 - p, -0.0005, 0.0005)) / 8, abs=1e-10)
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)


def test_a_calm_premium_pays_the_interest_rate_exactly():
    assert lens.hourly_rate([0.0002, -0.0003])[0] == pytest.approx(0.0000125)
    assert lens.hourly_rate([1.0])[0] == 0.04 and lens.hourly_rate([-1.0])[0] == -0.04  # 4 % an hour at most


def test_paging_at_500_rows_and_bounds_inclusive(transport):
    first = funding(transport, SEP_1 - 40 * 86_400_000)
    assert len(first) == 500
    second = funding(transport, first[-1]["time"] + 1)
    assert second[0]["time"] - first[-1]["time"] == pytest.approx(HOUR_MS, abs=100)
    one = first[3]["time"]
    assert [r["time"] for r in funding(transport, one, one)] == [one]


def test_only_settled_hours_and_end_defaults_to_now(transport):
    rows = funding(transport, NOW_MS - 5 * HOUR_MS)
    assert rows and all(r["time"] <= NOW_MS for r in rows) and rows[-1]["time"] > NOW_MS - HOUR_MS
    assert funding(transport, NOW_MS - 5 * HOUR_MS, NOW_MS + 10 * HOUR_MS) == rows
    assert funding(transport, NOW_MS + HOUR_MS) == []


def test_nothing_before_launch():
    early = SampleTransport(now=datetime(2023, 5, 20, tzinfo=timezone.utc))
    rows = funding(early, 0)
    assert rows[0]["time"] // HOUR_MS * HOUR_MS == lens.LAUNCH_MS + HOUR_MS  # the first hour of trading settles
    assert funding(early, 0, lens.LAUNCH_MS) == []
    assert answer(SampleTransport(now=datetime(2023, 5, 1, tzinfo=timezone.utc)),
                  {"type": "metaAndAssetCtxs"}) == [{"universe": []}, []]


# -- metaAndAssetCtxs --------------------------------------------------------------------------------------------
def test_meta_and_asset_ctxs_is_the_world_at_now(transport):
    meta, ctxs = answer(transport, {"type": "metaAndAssetCtxs"})
    assert [u["name"] for u in meta["universe"]] == ["BTC", "ETH", "SOL"] and len(ctxs) == 3
    assert meta["universe"][0] == {"name": "BTC", "szDecimals": 5, "maxLeverage": 40}
    btc = ctxs[0]
    assert set(btc) == {"funding", "openInterest", "prevDayPx", "dayNtlVlm", "premium", "oraclePx", "markPx",
                        "midPx", "impactPxs", "dayBaseVlm"}
    assert all(isinstance(v, str) for k, v in btc.items() if k != "impactPxs") and len(btc["impactPxs"]) == 2
    world = sample_world()
    assert float(btc["openInterest"]) == pytest.approx(float(world.hyperliquid_oi_btc_at(NOW_MS)), abs=1e-5)
    assert float(btc["oraclePx"]) == pytest.approx(float(world.price_at(NOW_MS)), abs=0.05)
    assert abs(float(btc["markPx"]) / float(btc["oraclePx"]) - 1) < 0.005
    assert 1e9 < float(btc["openInterest"]) * float(btc["markPx"]) < 6e9  # ~$3 bn in 2025
    assert float(btc["funding"]) == pytest.approx(float(lens.hourly_rate(float(btc["premium"]))), abs=1e-10)


def test_every_response_carries_the_transport_clock_as_date(transport):
    for response in (post(transport, {"type": "metaAndAssetCtxs"}), post(transport, b"{"),
                     post(transport, {}, url="https://api.hyperliquid.xyz/exchange")):
        assert parsedate_to_datetime(response.headers["Date"]) == NOW.replace(microsecond=0)


# -- errors ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, detail", [
    (b"not json", "expected value"),
    (b"", "eof while parsing a value"),
    (b'{"type": "metaAndAssetCtxs"} x', "trailing characters"),
    ({"coin": "BTC"}, "missing field `type`"),
    ({"type": "fundingHistory", "coin": "BTC"}, "missing field `startTime`"),
    ({"type": "fundingHistory", "startTime": 0}, "missing field `coin`"),
    ({"type": "fundingHistory", "coin": "BTC", "startTime": "yesterday"}, "expected u64"),
    ({"type": "fundingHistory", "coin": "BTC", "startTime": -5}, "expected u64"),
    ({"type": "candleSnapshotX"}, "unknown variant `candleSnapshotX`"),
    ([1, 2], "expected internally tagged enum"),
])
def test_bad_bodies_answer_422_in_plain_text(transport, body, detail):
    response = post(transport, body)
    assert response.status == 422 and response.headers["Content-Type"].startswith("text/plain")
    text = response.text()
    assert text.startswith("Failed to deserialize the JSON body into the target type: ")
    assert detail.lower() in text.lower()


def test_unknown_coin_path_and_method(transport):
    response = post(transport, {"type": "fundingHistory", "coin": "NOPE", "startTime": SEP_1})
    assert (response.status, response.body) == (500, b"null")
    assert post(transport, {"type": "metaAndAssetCtxs"}, url="https://api.hyperliquid.xyz/other").status == 404
    assert post(transport, {"type": "metaAndAssetCtxs"}, method="GET").status == 405


# -- Coinalyze's BTCUSD_PERP.H -----------------------------------------------------------------------------------
def coinalyze(transport, path, start, end, symbols="BTCUSD_PERP.H", **extra):
    params = {"symbols": symbols, "interval": "daily", "from": str(start // 1000), "to": str(end // 1000), **extra}
    response = transport.send(HttpRequest("GET", f"https://api.coinalyze.net/v1/{path}", params), 5.0)
    assert response.status == 200, response.text()
    return {e["symbol"]: e["history"] for e in json.loads(response.body)}


def test_coinalyze_serves_hyperliquid_oi_and_funding_from_its_coverage(transport):
    world = sample_world()
    oi = coinalyze(transport, "open-interest-history", SEP_1, SEP_1 + 5 * 86_400_000 - 1, convert_to_usd="true")
    for bar in oi["BTCUSD_PERP.H"]:
        close_at = (bar["t"] + 86_400) * 1000 - 60_000
        expected = world.hyperliquid_oi_btc_at(close_at) * world.price_at(close_at)
        assert bar["c"] == pytest.approx(float(expected), abs=0.01)
    assert len(oi["BTCUSD_PERP.H"]) == 5
    rates = coinalyze(transport, "funding-rate-history", SEP_1, SEP_1 + 86_400_000 - 1)["BTCUSD_PERP.H"]
    hl = funding(transport, SEP_1 + 23 * HOUR_MS, SEP_1 + 24 * HOUR_MS - 1)  # the rate settled at 23:00
    assert rates[0]["c"] == pytest.approx(100 * float(hl[0]["fundingRate"]), abs=1e-8)  # percent per 1 h
    coverage = int(datetime(HYPERLIQUID_COVERAGE.year, HYPERLIQUID_COVERAGE.month, HYPERLIQUID_COVERAGE.day,
                            tzinfo=timezone.utc).timestamp() * 1000)
    around = coinalyze(transport, "open-interest-history", coverage - 3 * 86_400_000, coverage + 86_400_000)
    assert [b["t"] * 1000 for b in around["BTCUSD_PERP.H"]] == [coverage, coverage + 86_400_000]
    assert coinalyze(transport, "liquidation-history", SEP_1, SEP_1 + 86_400_000)["BTCUSD_PERP.H"] == []

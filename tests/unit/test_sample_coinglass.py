"""The CoinGlass lens answers CoinGlass v4's real URLs in its envelope, limits and error codes, consistent with
the sample world, and differs from the venues the way a real aggregator does: all-exchange OI (other venues and
CME), OI-weighted funding in percent, its own liquidation collection with a revision of the latest days and the
odd missing day, and a liquidation heatmap computed around now."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import numpy as np
import pytest

from orchestration.feeds.http import HttpRequest
from orchestration.sample import coinglass as lens_module
from orchestration.sample.transport import SampleTransport
from orchestration.sample.world import START_MS, VENUES, sample_world

NOW = datetime(2025, 10, 15, 0, 30, tzinfo=timezone.utc)
NOW_MS = int(NOW.timestamp() * 1000)
H, D = 3_600_000, 86_400_000
API = "https://open-api-v4.coinglass.com/api/futures"
OI = f"{API}/open-interest/aggregated-history"
FUNDING = f"{API}/funding-rate/oi-weight-history"
LIQ = f"{API}/liquidation/aggregated-history"
HEAT = f"{API}/liquidation/aggregated-heatmap/model2"
FIVE = "Binance,OKX,Bybit,Deribit,dYdX"
SEP_1 = int(datetime(2025, 9, 1, tzinfo=timezone.utc).timestamp() * 1000)
TODAY = NOW_MS // D * D


@pytest.fixture(scope="module")
def transport():
    return SampleTransport(now=NOW)


@pytest.fixture(scope="module")
def lens(transport):
    return transport.lenses[lens_module.HOST]


def get(transport, url, **params):
    response = transport.send(HttpRequest("GET", url, {k: str(v) for k, v in params.items()}), 5.0)
    assert response.headers["Content-Type"] == "application/json"
    return response.status, json.loads(response.body)


def data(transport, url, **params):
    status, body = get(transport, url, **params)
    assert status == 200 and body["code"] == "0" and body["msg"] == "success", body
    return body["data"]


def hourly(column: str) -> np.ndarray:
    return sample_world().hourly[column].to_numpy(float)


def hour_index(ms: int) -> int:
    return (ms - START_MS) // H


def daily_sum(values: np.ndarray, day_ms: int) -> float:
    h = hour_index(day_ms)
    return float(values[h:h + 24].sum())


def venue_liquidations(side: str, venues=VENUES) -> np.ndarray:
    return sum(hourly(f"liq_{side}_usd_{v}") for v in venues)


# -- shapes, paging, errors -------------------------------------------------------------------------------------
def test_history_rows_in_the_documented_shape(transport):
    for url, extra, keys in ((OI, {"unit": "usd"}, {"time", "open", "high", "low", "close"}),
                             (FUNDING, {}, {"time", "open", "high", "low", "close"}),
                             (LIQ, {"exchange_list": FIVE}, {"time", "aggregated_long_liquidation_usd",
                                                             "aggregated_short_liquidation_usd"})):
        rows = data(transport, url, symbol="BTC", interval="1d", start_time=SEP_1, end_time=SEP_1 + 9 * D, **extra)
        assert [r["time"] for r in rows] == [SEP_1 + i * D for i in range(10)] and all(set(r) == keys for r in rows)
        values = [v for r in rows for k, v in r.items() if k != "time"]
        if url == LIQ:
            assert all(isinstance(v, float) for v in values)  # JSON numbers
        else:
            assert all(isinstance(v, str) for v in values)  # numbers as strings, as CoinGlass documents them


def test_limit_cursor_and_history_bounds(transport):
    newest = data(transport, OI, symbol="BTC", interval="1d")
    assert len(newest) == 1000 and newest[-1]["time"] == TODAY  # the latest 1000 bars, the day in progress included
    assert np.all(np.diff([r["time"] for r in newest]) == D)
    assert len(data(transport, OI, symbol="BTC", interval="1d", limit=5000, start_time=0)) == 1000  # max 1000
    first = data(transport, OI, symbol="BTC", interval="1d", start_time=0, limit=3)
    assert [r["time"] for r in first] == [1582761600000 + i * D for i in range(3)]  # history from 2020-02-27
    assert data(transport, OI, symbol="BTC", interval="1d", start_time=NOW_MS + D) == []
    four = data(transport, FUNDING, symbol="BTC", interval="4h", start_time=SEP_1, limit=7)
    assert [r["time"] for r in four] == [SEP_1 + i * 4 * H for i in range(7)]
    weekly = data(transport, OI, symbol="BTC", interval="1w", start_time=SEP_1, limit=3)
    assert all(datetime.fromtimestamp(r["time"] / 1000, tz=timezone.utc).weekday() == 0 for r in weekly)


@pytest.mark.parametrize("url, params, status, code", [
    (OI, {"symbol": "BTC", "interval": "2d"}, 200, "400"),
    (OI, {"symbol": "BTC"}, 200, "400"),
    (OI, {"symbol": "BTC", "interval": "1h"}, 401, "401"),  # the sample plays a low plan: >= 4h only
    (FUNDING, {"symbol": "BTC", "interval": "30m"}, 401, "401"),
    (OI, {"interval": "1d"}, 200, "400"),
    (OI, {"symbol": "ETHX", "interval": "1d"}, 200, "400"),
    (OI, {"symbol": "BTC", "interval": "1d", "unit": "eur"}, 200, "400"),
    (OI, {"symbol": "BTC", "interval": "1d", "start_time": "yesterday"}, 200, "400"),
    (LIQ, {"symbol": "BTC", "interval": "1d"}, 200, "400"),
    (LIQ, {"symbol": "BTC", "interval": "1d", "exchange_list": "Binance,Kraken"}, 200, "400"),
    (HEAT, {"symbol": "BTC", "range": "2d"}, 200, "400"),
    (HEAT, {"symbol": "BTC"}, 200, "400"),
    (f"{API}/liquidation/aggregated-heatmap/model9", {"symbol": "BTC", "range": "3d"}, 404, "404"),
])
def test_errors_in_coinglass_form(transport, url, params, status, code):
    got_status, body = get(transport, url, **params)
    assert (got_status, body["code"]) == (status, code) and set(body) == {"code", "msg"} and body["msg"]


def test_no_key_is_required_in_sample_mode(transport):
    request = HttpRequest("GET", OI, {"symbol": "BTC", "interval": "1d", "limit": "1"}, {"CG-API-KEY": "anything"})
    assert transport.send(request, 5.0).body == transport.send(
        HttpRequest("GET", OI, {"symbol": "BTC", "interval": "1d", "limit": "1"}), 5.0).body


# -- open interest: all exchanges ------------------------------------------------------------------------------
def test_oi_is_all_exchanges_including_other_venues_and_cme(transport):
    world = sample_world()
    rows = data(transport, OI, symbol="BTC", interval="1d", unit="usd", start_time=SEP_1, end_time=SEP_1 + 29 * D)
    total = (hourly("oi_btc") + sample_world().outside_oi_btc() + hourly("cme_oi_btc")) * hourly("close")
    for r in rows:
        end = hour_index(r["time"]) + 23  # the hour ending at the day's end
        assert float(r["close"]) == pytest.approx(total[end], abs=0.01)
        assert float(r["open"]) == pytest.approx(total[end - 24], abs=0.01)
        assert float(r["low"]) <= min(float(r["open"]), float(r["close"])) <= float(r["high"])
        day_end = r["time"] + D
        venues = sum(world.venue_oi_btc_at(v, day_end) for v in VENUES) * world.price_at(day_end)
        assert venues == pytest.approx(hourly("oi_btc")[end] * hourly("close")[end], rel=1e-9)
        assert float(r["close"]) / venues > 1.05  # the aggregate sees more than the five venues
    coins = data(transport, OI, symbol="BTC", interval="1d", unit="coin", start_time=SEP_1, limit=1)
    assert float(coins[0]["close"]) == pytest.approx(float(rows[0]["close"]) / hourly("close")[hour_index(SEP_1) + 23],
                                                     rel=1e-6)


def test_the_bar_in_progress_closes_at_the_last_full_hour(transport):
    (bar,) = data(transport, OI, symbol="BTC", interval="1d", start_time=TODAY)
    total = (hourly("oi_btc") + sample_world().outside_oi_btc() + hourly("cme_oi_btc")) * hourly("close")
    assert bar["time"] == TODAY and float(bar["close"]) == pytest.approx(total[hour_index(NOW_MS) - 1], abs=0.01)


# -- funding: OI-weighted, percent -------------------------------------------------------------------------------
def test_funding_is_oi_weighted_over_all_venues_in_percent(transport):
    rows = data(transport, FUNDING, symbol="BTC", interval="1d", start_time=SEP_1, end_time=SEP_1 + 29 * D)

    def clamped(p, cap):
        return np.clip(p + np.clip(0.0001 - p, -0.0005, 0.0005), -cap, cap)

    oi, other = hourly("oi_btc"), sample_world().outside_oi_btc()  # Hyperliquid included
    rate = {"binance": clamped(hourly("funding_8h_binance"), 0.003), "okx": clamped(hourly("funding_8h_okx"), 0.00375),
            "bybit": clamped(hourly("funding_8h_bybit"), 0.00375), "deribit": hourly("funding_8h_deribit"),
            "dydx": hourly("funding_8h_dydx")}
    expected = 100 * (sum(rate[v] * hourly(f"share_{v}") * oi for v in VENUES)
                      + clamped(hourly("funding_8h"), 0.00375) * other) / (oi + other)
    for r in rows:
        h = hour_index(r["time"])
        assert float(r["open"]) == pytest.approx(expected[h], abs=1e-6)
        assert float(r["close"]) == pytest.approx(expected[h + 23], abs=1e-6)
        assert float(r["high"]) == pytest.approx(expected[h:h + 24].max(), abs=1e-6)
        assert float(r["low"]) == pytest.approx(expected[h:h + 24].min(), abs=1e-6)
    closes = np.array([float(r["close"]) for r in rows])
    binance = 100 * rate["binance"][[hour_index(r["time"]) + 23 for r in rows]]
    assert np.all(np.abs(closes) < 1) and np.any(np.abs(closes - binance) > 1e-4)  # percent, not Binance's own


# -- liquidations: own collection, revision, outages ------------------------------------------------------------
def test_old_days_are_a_few_percent_off_the_venue_truth(transport):
    rows = data(transport, LIQ, symbol="BTC", interval="1d", exchange_list=FIVE, start_time=SEP_1,
                end_time=SEP_1 + 29 * D)
    assert len(rows) == 30
    ratios = []
    for r in rows:
        for side, key in (("long", "aggregated_long_liquidation_usd"), ("short", "aggregated_short_liquidation_usd")):
            ratios.append(r[key] / daily_sum(venue_liquidations(side), r["time"]))
    ratios = np.array(ratios)
    assert np.all((ratios >= 0.95 - 1e-9) & (ratios < 1.01))  # CoinGlass's own collection
    assert np.std(ratios) > 0.005 and np.any(ratios != 1)  # varies day by day


def test_the_last_two_days_are_served_low_and_revised_later(transport):
    yesterday = TODAY - D
    first = data(transport, LIQ, symbol="BTC", interval="1d", exchange_list=FIVE, start_time=yesterday - D)
    later = data(SampleTransport(now=datetime(2025, 10, 18, 0, 30, tzinfo=timezone.utc)), LIQ, symbol="BTC",
                 interval="1d", exchange_list=FIVE, start_time=yesterday - D, end_time=yesterday)
    assert [r["time"] for r in first] == [yesterday - D, yesterday, TODAY]
    for early, final in zip(first[:2], later):
        share = early["aggregated_long_liquidation_usd"] / final["aggregated_long_liquidation_usd"]
        assert 0.85 <= share < 0.96
    # the older of the two days is nearer completion than yesterday
    shares = [e["aggregated_short_liquidation_usd"] / f["aggregated_short_liquidation_usd"]
              for e, f in zip(first[:2], later)]
    assert shares[0] > shares[1]
    final_truth = daily_sum(venue_liquidations("long"), yesterday)
    assert 0.95 <= later[1]["aggregated_long_liquidation_usd"] / final_truth < 1.01


def test_a_few_days_are_missing_from_the_history(transport, lens):
    rows, page = [], data(transport, LIQ, symbol="BTC", interval="1d", exchange_list=FIVE, start_time=0)
    while page:
        rows += page
        page = data(transport, LIQ, symbol="BTC", interval="1d", exchange_list=FIVE, start_time=page[-1]["time"] + 1)
    served = {r["time"] for r in rows}
    expected = np.arange(1582761600000, TODAY + 1, D)
    missing = sorted(set(expected.tolist()) - served)
    assert 0.002 < len(missing) / len(expected) < 0.01 and served <= set(expected.tolist())
    assert all(lens.outage(missing))
    day = missing[0]
    assert data(transport, LIQ, symbol="BTC", interval="4h", exchange_list=FIVE, start_time=day,
                end_time=day + D - 1) == []
    oi_days = data(transport, OI, symbol="BTC", interval="1d", start_time=day - D, end_time=day + D)
    assert [r["time"] for r in oi_days] == [day - D, day, day + D]  # the other histories are complete


def test_exchange_list_selects_the_venues(transport):
    one = data(transport, LIQ, symbol="BTC", interval="1d", exchange_list="Binance", start_time=SEP_1, limit=5)
    five = data(transport, LIQ, symbol="BTC", interval="1d", exchange_list=FIVE, start_time=SEP_1, limit=5)
    for a, b in zip(one, five):
        truth = daily_sum(hourly("liq_long_usd_binance"), a["time"])
        assert 0.95 <= a["aggregated_long_liquidation_usd"] / truth < 1.01
        assert a["aggregated_long_liquidation_usd"] < b["aggregated_long_liquidation_usd"]


# -- heatmap ---------------------------------------------------------------------------------------------------
def test_heatmap_shape_grid_and_last_price(transport):
    world = sample_world()
    heat = data(transport, HEAT, symbol="BTC", range="3d")
    assert set(heat) == {"y_axis", "liquidation_leverage_data", "price_candlesticks", "update_time"}
    assert heat["update_time"] == NOW_MS
    candles, y = heat["price_candlesticks"], np.array(heat["y_axis"])
    assert len(candles) == 864 and all(len(c) == 6 and isinstance(c[1], str) for c in candles)  # 5-minute candles
    assert candles[-1][0] <= NOW_MS // 1000 < candles[-1][0] + 300  # seconds; the last one in progress
    last = float(candles[-1][4])
    assert last == pytest.approx(float(world.price_at(NOW_MS)), abs=0.06)
    assert np.all(np.diff(y) > 0) and y[0] > 0.75 * last and y[-1] < 1.25 * last
    cells = np.array(heat["liquidation_leverage_data"])
    assert len(cells) > 100 and np.all(cells[:, 2] > 0)
    assert np.all((cells[:, 0] >= 0) & (cells[:, 0] < len(candles)) & (cells[:, 1] >= 0) & (cells[:, 1] < len(y)))
    level = np.bincount(cells[:, 1].astype(int), weights=cells[:, 2], minlength=len(y))
    assert level[y < last].sum() > 0 and level[y > last].sum() > 0  # longs below, shorts above


def test_heatmap_levels_already_crossed_are_gone(transport):
    heat = data(transport, HEAT, symbol="BTC", range="3d")
    candles = heat["price_candlesticks"]
    cells = np.array(heat["liquidation_leverage_data"])
    lows = np.array([float(c[3]) for c in candles])
    highs = np.array([float(c[2]) for c in candles])
    y = np.array(heat["y_axis"])
    grid = y[1] - y[0]
    for x, yi, _ in cells:
        after = slice(int(x) + 1, None)
        price = y[int(yi)]
        if len(lows[after]):
            # a level below the entry's close is a long: every later low stayed above it; above: a short
            entry = float(candles[int(x)][4])
            if price < entry:
                assert price < lows[after].min() + grid
            else:
                assert price > highs[after].max() - grid


def test_heatmap_is_fast_deterministic_and_moves_with_now(transport):
    start = time.perf_counter()
    for span in ("12h", "24h", "3d", "7d", "30d", "1y"):
        data(transport, HEAT, symbol="BTC", range=span)
    assert time.perf_counter() - start < 1.5
    start = time.perf_counter()
    body = transport.send(HttpRequest("GET", HEAT, {"symbol": "BTC", "range": "3d"}), 5.0).body
    assert time.perf_counter() - start < 0.5
    assert body == SampleTransport(now=NOW).send(HttpRequest("GET", HEAT, {"symbol": "BTC", "range": "3d"}), 5.0).body
    later = data(SampleTransport(now=datetime(2025, 10, 16, 0, 30, tzinfo=timezone.utc)), HEAT, symbol="BTC",
                 range="3d")
    assert later["update_time"] == NOW_MS + D and later["y_axis"] != json.loads(body)["data"]["y_axis"]

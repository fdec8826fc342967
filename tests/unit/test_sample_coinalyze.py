"""The Coinalyze lens answers Coinalyze's real URLs in its shapes, limits and errors, consistent with the sample
world and with the venues' own lenses, and with the deliberate differences an aggregator has."""
from __future__ import annotations

import json
import time
from datetime import date, datetime, timezone

import numpy as np
import pytest

from orchestration.feeds.http import HttpRequest
from orchestration.sample import coinalyze as lens
from orchestration.sample.transport import SampleTransport
from orchestration.sample.world import sample_world

NOW = datetime(2025, 9, 21, 13, 47, 30, tzinfo=timezone.utc)
NOW_S = int(NOW.timestamp())
API = "https://api.coinalyze.net/v1"
D, H = 86_400, 3_600
ALL = ["BTCUSDT_PERP.A", "BTCUSDT.6", "BTCUSDT_PERP.3", "BTCUSD_PERP.2", "BTC-USD_PERP.8"]
VENUE = dict(zip(ALL, ["binance", "bybit", "okx", "deribit", "dydx"]))


def s(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())


@pytest.fixture(scope="module")
def transport():
    return SampleTransport(now=NOW)


@pytest.fixture(scope="module")
def world():
    return sample_world()


def call(transport, path, **params):
    response = transport.send(HttpRequest("GET", f"{API}/{path}", {k: str(v) for k, v in params.items()}), 5.0)
    assert response.headers["Content-Type"] == "application/json"
    return response.status, json.loads(response.body)


def history(transport, path, symbols=ALL, interval="daily", start=None, end=None, **extra):
    status, body = call(transport, path, symbols=",".join(symbols), interval=interval,
                        **{"from": start if start is not None else s(date(2025, 9, 1)),
                           "to": end if end is not None else NOW_S}, **extra)
    assert status == 200, body
    assert [e["symbol"] for e in body] == list(symbols)  # request order, one entry per symbol
    return {e["symbol"]: e["history"] for e in body}


def venue_get(transport, url, **params):
    """A venue's own API (its lens), for cross-checks."""
    response = transport.send(HttpRequest("GET", url, {k: str(v) for k, v in params.items()}), 5.0)
    assert response.status == 200, response.text()
    return json.loads(response.body)


# -- shapes, limits, errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path, keys", [("open-interest-history", ["t", "o", "h", "l", "c"]),
                                        ("funding-rate-history", ["t", "o", "h", "l", "c"]),
                                        ("liquidation-history", ["t", "l", "s"])])
def test_real_shapes_daily_bars_up_to_now_in_progress_included(transport, path, keys):
    got = history(transport, path, convert_to_usd="true", end=NOW_S + 10 * D)  # no key header needed
    for symbol, bars in got.items():
        assert [list(b) for b in bars] == [keys] * len(bars)
        assert all(type(b["t"]) is int and b["t"] % D == 0 for b in bars)
        assert all(isinstance(b[k], float) for b in bars for k in keys[1:])
        ts = [b["t"] for b in bars]
        assert ts == sorted(ts) and ts[0] == s(date(2025, 9, 1)) and ts[-1] == s(date(2025, 9, 21))
        assert len(ts) == 21 or symbol == "BTCUSDT.6"  # Bybit may miss an outage day


def test_from_and_to_are_inclusive_bar_starts(transport):
    got = history(transport, "funding-rate-history", ["BTCUSDT_PERP.A"], start=s(date(2025, 9, 10)),
                  end=s(date(2025, 9, 12)))
    assert [b["t"] for b in got["BTCUSDT_PERP.A"]] == [s(date(2025, 9, 10)), s(date(2025, 9, 11)), s(date(2025, 9, 12))]
    got = history(transport, "funding-rate-history", ["BTCUSDT_PERP.A"], start=s(date(2025, 9, 10)) + 1,
                  end=s(date(2025, 9, 12)) - 1)
    assert [b["t"] for b in got["BTCUSDT_PERP.A"]] == [s(date(2025, 9, 11))]


@pytest.mark.parametrize("params, expected", [
    ({"interval": "daily", "from": 1, "to": 2}, "'symbols' is required"),
    ({"symbols": ",".join(ALL * 5), "interval": "daily", "from": 1, "to": 2}, "Too many symbols: 25 given"),
    ({"symbols": "ETHUSDT_PERP.A", "interval": "daily", "from": 1, "to": 2}, "Invalid symbol(s): ETHUSDT_PERP.A"),
    ({"symbols": ALL[0], "interval": "1day", "from": 1, "to": 2}, "'interval' must be one of"),
    ({"symbols": ALL[0], "from": 1, "to": 2}, "'interval' must be one of"),
    ({"symbols": ALL[0], "interval": "5min", "from": 1, "to": 2}, "finer than the sample world's hourly grid"),
    ({"symbols": ALL[0], "interval": "daily", "to": 2}, "'from' is required"),
    ({"symbols": ALL[0], "interval": "daily", "from": "yesterday", "to": 2}, "'from' must be an integer UNIX"),
    ({"symbols": ALL[0], "interval": "daily", "from": 1_700_000_000_000, "to": 1_800_000_000_000},
     "looks like milliseconds"),
    ({"symbols": ALL[0], "interval": "daily", "from": 3, "to": 2}, "'from' must not be after 'to'"),
    ({"symbols": ALL[0], "interval": "daily", "from": 1, "to": 2, "convert_to_usd": "yes"}, "'convert_to_usd' must be"),
])
def test_bad_parameters_answer_400_with_a_message(transport, params, expected):
    status, body = call(transport, "open-interest-history", **params)
    assert status == 400 and list(body) == ["message"] and expected in body["message"]


def test_twenty_symbols_are_fine_and_unknown_paths_are_404(transport):
    status, body = call(transport, "funding-rate-history", symbols=",".join(ALL * 4), interval="daily",
                        **{"from": s(date(2025, 9, 1)), "to": s(date(2025, 9, 2))})
    assert status == 200 and len(body) == 20
    assert call(transport, "ohlcv-history", symbols=ALL[0]) == (404, {"message": "Not Found"})


def test_history_starts_2020_01_21_and_liquidations_reach_back_730_days(transport):
    got = history(transport, "open-interest-history", ["BTCUSDT_PERP.A"], start=s(date(2019, 6, 1)),
                  end=s(date(2020, 2, 1)))
    assert got["BTCUSDT_PERP.A"][0]["t"] == s(date(2020, 1, 21)) and len(got["BTCUSDT_PERP.A"]) == 12
    liq = history(transport, "liquidation-history", ["BTCUSDT_PERP.A"], start=s(date(2022, 1, 1)), end=NOW_S)
    first = liq["BTCUSDT_PERP.A"][0]["t"]
    assert first == (NOW_S - 730 * D) // D * D
    assert history(transport, "liquidation-history", ["BTCUSDT_PERP.A"], start=s(date(2022, 1, 1)),
                   end=first - 1)["BTCUSDT_PERP.A"] == []


def test_a_multi_year_request_is_fast(transport):
    history(transport, "open-interest-history", start=s(date(2025, 9, 1)))  # warm the caches
    for path in ("open-interest-history", "funding-rate-history", "liquidation-history"):
        began = time.perf_counter()
        got = history(transport, path, start=s(date(2020, 1, 1)), convert_to_usd="true")
        assert time.perf_counter() - began < 1.0, path
        assert len(got["BTCUSDT_PERP.A"]) > 700


# -- consistent with the world and the venues' own lenses --------------------------------------------------------
def test_open_interest_is_each_venues_share_of_the_world(transport, world):
    got = history(transport, "open-interest-history", convert_to_usd="true", start=s(date(2025, 8, 1)),
                  end=s(date(2025, 9, 19)))
    btc = history(transport, "open-interest-history", convert_to_usd="false", start=s(date(2025, 8, 1)),
                  end=s(date(2025, 9, 19)))
    for symbol, bars in got.items():
        venue = VENUE[symbol]
        t = np.array([b["t"] for b in bars], dtype=np.int64) * 1000
        close_at = t + 86_400_000 - 60_000  # the last minute bar of the day
        assert np.allclose([b["o"] for b in bars], world.venue_oi_btc_at(venue, t) * world.price_at(t), atol=0.01)
        assert np.allclose([b["c"] for b in bars], world.venue_oi_btc_at(venue, close_at) * world.price_at(close_at),
                           atol=0.01)
        assert all(b["l"] <= min(b["o"], b["c"]) <= max(b["o"], b["c"]) <= b["h"] for b in bars)
        assert np.allclose([b["c"] for b in btc[symbol]], world.venue_oi_btc_at(venue, close_at), atol=1e-4)


def test_the_oi_bar_in_progress_closes_at_the_last_minute_up_to_now(transport, world):
    today = s(date(2025, 9, 21))
    (bar,) = history(transport, "open-interest-history", ["BTCUSDT.6"], start=today, convert_to_usd="true")["BTCUSDT.6"]
    minute = NOW_S // 60 * 60 * 1000
    assert bar["c"] == pytest.approx(float(world.venue_oi_btc_at("bybit", minute) * world.price_at(minute)), abs=0.01)


def test_funding_closes_on_the_days_last_settled_rate_of_each_venues_own_api(transport):
    """The day's close in percent = what each venue's own lens publishes last that day."""
    day = date(2025, 9, 15)
    got = history(transport, "funding-rate-history", start=s(day), end=s(day))
    close = {VENUE[sym]: bars[0]["c"] for sym, bars in got.items() if bars}
    # Binance / OKX / Bybit: the rate settled at 16:00 UTC
    at16 = (s(day) + 16 * H) * 1000
    binance = venue_get(transport, "https://fapi.binance.com/fapi/v1/fundingRate", symbol="BTCUSDT",
                        startTime=at16, endTime=at16 + 1000)
    assert close["binance"] == pytest.approx(100 * float(binance[0]["fundingRate"]), abs=1e-6)
    okx = venue_get(transport, "https://www.okx.com/api/v5/public/funding-rate-history", instId="BTC-USDT-SWAP",
                    after=at16 + 1, limit=1)["data"]
    assert int(okx[0]["fundingTime"]) == at16
    assert close["okx"] == pytest.approx(100 * float(okx[0]["fundingRate"]), abs=1e-6)
    bybit = venue_get(transport, "https://api.bybit.com/v5/market/funding/history", category="linear",
                      symbol="BTCUSDT", startTime=at16, endTime=at16, limit=1)["result"]["list"]
    assert int(bybit[0]["fundingRateTimestamp"]) == at16
    assert close["bybit"] == pytest.approx(100 * float(bybit[0]["fundingRate"]), abs=1e-6)
    # dYdX: the hourly rate effective at 23:00 (per 1 h); Deribit: the rolling interest_8h at the day's end
    dydx = venue_get(transport, "https://indexer.dydx.trade/v4/historicalFunding/BTC-USD", limit=1,
                     effectiveBeforeOrAt=f"{day}T23:00:00.000Z")["historicalFunding"]
    assert close["dydx"] == pytest.approx(100 * float(dydx[0]["rate"]), abs=1e-7)
    end = (s(day) + D) * 1000
    deribit = venue_get(transport, "https://www.deribit.com/api/v2/public/get_funding_rate_history",
                        instrument_name="BTC-PERPETUAL", start_timestamp=end, end_timestamp=end)["result"]
    assert close["deribit"] == pytest.approx(100 * deribit[0]["interest_8h"], abs=1e-6)
    for bars in got.values():
        for b in bars:
            assert b["l"] <= min(b["o"], b["c"]) and max(b["o"], b["c"]) <= b["h"]
            assert -1 < b["l"] and b["h"] < 1  # percent, not fraction or basis points


def test_liquidations_are_the_venues_daily_sums_a_few_percent_short(transport, world):
    start, end = date(2025, 6, 1), date(2025, 9, 20)
    got = history(transport, "liquidation-history", convert_to_usd="true", start=s(start), end=s(end))
    hourly = world.hourly.set_index("ts")
    ratios = []
    for symbol, bars in got.items():
        venue = VENUE[symbol]
        truth = hourly[[f"liq_long_usd_{venue}", f"liq_short_usd_{venue}"]].resample("D").sum()
        for b in bars:
            day = datetime.fromtimestamp(b["t"], tz=timezone.utc).replace(tzinfo=None)
            long_ratio = b["l"] / truth.at[day, f"liq_long_usd_{venue}"]
            short_ratio = b["s"] / truth.at[day, f"liq_short_usd_{venue}"]
            assert long_ratio == pytest.approx(short_ratio, abs=1e-6)  # one capture per venue-day
            ratios.append(long_ratio)
    ratios = np.array(ratios)
    assert ratios.min() >= 0.94 - 1e-6 and ratios.max() <= 0.98 + 1e-6
    assert 0.955 < ratios.mean() < 0.965 and ratios.std() > 0.005  # ~4 % under, varying by day


# -- deliberate differences ---------------------------------------------------------------------------------------
def test_dydx_coverage_begins_weeks_after_v4_launch(transport, world):
    got = history(transport, "open-interest-history", ["BTC-USD_PERP.8"], start=s(date(2023, 10, 1)),
                  end=s(date(2023, 12, 10)), convert_to_usd="true")["BTC-USD_PERP.8"]
    assert got[0]["t"] == s(lens.DYDX_COVERAGE) == s(date(2023, 12, 1)) and len(got) == 10
    launched = world.hourly.set_index("ts")["share_dydx"]["2023-10-28":"2023-11-30"]
    assert (launched > 0).all()  # the venue traded; the aggregator just did not cover it yet


def test_bybit_has_a_few_deterministic_outage_days(transport):
    start, end = s(date(2020, 1, 21)), s(date(2025, 9, 20))
    for path in ("open-interest-history", "funding-rate-history"):
        got = history(transport, path, start=start, end=end, convert_to_usd="true")
        days = {sym: {b["t"] for b in bars} for sym, bars in got.items()}
        everyone = days["BTCUSDT_PERP.A"]
        assert days["BTCUSDT_PERP.3"] == days["BTCUSD_PERP.2"] == everyone
        missing = everyone - days["BTCUSDT.6"]
        assert days["BTCUSDT.6"] <= everyone and 0.002 < len(missing) / len(everyone) < 0.01
        if path == "open-interest-history":
            first_missing = missing
        assert missing == first_missing  # the same days on every endpoint
    again = history(SampleTransport(now=NOW), "open-interest-history", ["BTCUSDT.6"], start=start, end=end)
    assert everyone - {b["t"] for b in again["BTCUSDT.6"]} == first_missing  # deterministic


def test_the_oi_close_is_sampled_a_minute_before_the_venues_day_end(transport, world):
    got = history(transport, "open-interest-history", ["BTCUSDT_PERP.A"], start=s(date(2025, 1, 1)),
                  end=s(date(2025, 9, 19)), convert_to_usd="true")["BTCUSDT_PERP.A"]
    t = np.array([b["t"] for b in got], dtype=np.int64) * 1000
    day_end = t + 86_400_000
    venue_close = world.venue_oi_btc_at("binance", day_end) * world.price_at(day_end)
    rel = np.abs(np.array([b["c"] for b in got]) / venue_close - 1)
    assert rel.max() < 0.005 and (rel > 1e-7).mean() > 0.9  # close, but not the same number


def test_hour_multiple_intervals_are_served_too(transport):
    got = history(transport, "funding-rate-history", ["BTCUSDT_PERP.A"], interval="4hour", start=s(date(2025, 9, 20)),
                  end=s(date(2025, 9, 20)) + D - 1)["BTCUSDT_PERP.A"]
    assert [b["t"] for b in got] == [s(date(2025, 9, 20)) + i * 4 * H for i in range(6)]
    daily = history(transport, "funding-rate-history", ["BTCUSDT_PERP.A"], start=s(date(2025, 9, 20)),
                    end=s(date(2025, 9, 20)))["BTCUSDT_PERP.A"][0]
    assert daily["c"] == got[-1]["c"] and daily["o"] == got[0]["o"] and daily["h"] == max(b["h"] for b in got)

"""The Binance lens answers Binance's real URLs in Binance's own shapes, limits and quirks, consistent with
the sample world."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from datetime import datetime, timezone

import pytest

from orchestration.feeds.http import HttpRequest
from orchestration.sample.transport import SampleTransport

NOW = datetime(2025, 10, 15, 12, 3, 20)
NOW_MS = int(NOW.replace(tzinfo=timezone.utc).timestamp() * 1000)
FUNDING = "https://fapi.binance.com/fapi/v1/fundingRate"
OI_HIST = "https://fapi.binance.com/futures/data/openInterestHist"
KLINES = "https://api.binance.com/api/v3/klines"
METRICS = "https://data.binance.vision/data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-{}.zip"
DECIMAL8 = re.compile(r"-?\d+\.\d{8}")
JAN_2021 = 1609459200000
H, D = 3_600_000, 86_400_000


@pytest.fixture(scope="module")
def transport():
    return SampleTransport(now=NOW)


def get(transport, url, **params):
    return transport.send(HttpRequest("GET", url, {k: str(v) for k, v in params.items()}), 5.0)


def get_json(transport, url, **params):
    response = get(transport, url, **params)
    assert response.headers["Content-Type"] == "application/json"
    assert b"\": " not in response.body and b", \"" not in response.body  # compact JSON
    return response.status, json.loads(response.body)


def error_of(transport, url, **params):
    status, body = get_json(transport, url, **params)
    return status, body["code"], body["msg"]


# -- fundingRate -------------------------------------------------------------------------------------------
def test_funding_rows_shape_and_schedule(transport):
    status, rows = get_json(transport, FUNDING, symbol="BTCUSDT", startTime=JAN_2021, limit=1000)
    assert status == 200 and len(rows) == 1000
    assert rows[0]["fundingTime"] in (JAN_2021, JAN_2021 + 1)
    for row in rows:
        assert list(row) == ["symbol", "fundingTime", "fundingRate", "markPrice"] and row["symbol"] == "BTCUSDT"
        assert DECIMAL8.fullmatch(row["fundingRate"]) and DECIMAL8.fullmatch(row["markPrice"])
        assert (row["fundingTime"] // 1000 * 1000) % (8 * H) == 0  # 00:00, 08:00, 16:00 UTC
    late = sum(row["fundingTime"] % 1000 == 1 for row in rows) / len(rows)
    assert 0.08 < late < 0.25  # the +1 ms quirk
    times = [row["fundingTime"] for row in rows]
    assert times == sorted(times)
    assert sum(row["fundingRate"] == "0.00010000" for row in rows) > 100  # the default rate shows up


def test_funding_limits_and_window(transport):
    assert len(get_json(transport, FUNDING, symbol="BTCUSDT", startTime=JAN_2021)[1]) == 100  # default
    assert len(get_json(transport, FUNDING, symbol="BTCUSDT", startTime=JAN_2021, limit=5000)[1]) == 1000
    end = JAN_2021 + 2 * D  # inclusive; events at +0 ms or +1 ms: the last one may carry +1 ms
    rows = get_json(transport, FUNDING, symbol="BTCUSDT", startTime=JAN_2021, endTime=end + 1)[1]
    assert [r["fundingTime"] // 1000 * 1000 for r in rows] == [JAN_2021 + i * 8 * H for i in range(7)]
    recent = get_json(transport, FUNDING, symbol="BTCUSDT", limit=3)[1]  # no startTime: the latest
    assert len(recent) == 3 and recent[-1]["fundingTime"] <= NOW_MS
    assert NOW_MS - recent[-1]["fundingTime"] < 8 * H


def test_funding_invalid_symbol(transport):
    assert error_of(transport, FUNDING, symbol="ETHUSDT") == (400, -1121, "Invalid symbol.")


# -- openInterestHist ----------------------------------------------------------------------------------------
def test_oi_hist_shape_alignment_and_limits(transport):
    status, rows = get_json(transport, OI_HIST, symbol="BTCUSDT", period="5m")
    assert status == 200 and len(rows) == 30  # default limit
    for row in rows:
        assert list(row) == ["symbol", "sumOpenInterest", "sumOpenInterestValue", "timestamp"]
        assert DECIMAL8.fullmatch(row["sumOpenInterest"]) and DECIMAL8.fullmatch(row["sumOpenInterestValue"])
        assert row["timestamp"] % 300_000 == 0
    assert rows[-1]["timestamp"] + 300_000 <= NOW_MS < rows[-1]["timestamp"] + 600_000  # right edge passed
    assert len(get_json(transport, OI_HIST, symbol="BTCUSDT", period="5m", limit=2000)[1]) == 500
    daily = get_json(transport, OI_HIST, symbol="BTCUSDT", period="1d", limit=500)[1]
    assert 28 <= len(daily) <= 30 and all(r["timestamp"] % D == 0 for r in daily)
    start = NOW_MS - 10 * D
    hourly = get_json(transport, OI_HIST, symbol="BTCUSDT", period="1h", startTime=start, limit=5)[1]
    assert [r["timestamp"] for r in hourly] == [(start // H + 1 + i) * H for i in range(5)]


def test_oi_hist_value_is_oi_times_price(transport):
    rows = get_json(transport, OI_HIST, symbol="BTCUSDT", period="1h", limit=5)[1]
    world = transport.world
    for row in rows:
        edge = row["timestamp"] + H
        assert float(row["sumOpenInterest"]) == pytest.approx(world.binance_oi_at(edge), abs=0.001)
        price = float(row["sumOpenInterestValue"]) / float(row["sumOpenInterest"])
        assert price == pytest.approx(float(world.price_at(edge)), rel=1e-9)


def test_oi_hist_errors(transport):
    assert error_of(transport, OI_HIST, symbol="BTCUSDT", period="7m") == (400, -1120, "Invalid interval.")
    old = NOW_MS - 31 * D
    assert error_of(transport, OI_HIST, symbol="BTCUSDT", period="5m", startTime=old) == (
        400, -1130, "Data sent for parameter 'startTime' is not valid.")
    assert error_of(transport, OI_HIST, symbol="BTCUSDT")[1] == -1102  # period is mandatory


# -- daily metrics archive -------------------------------------------------------------------------------------
def read_archive(response, day):
    assert response.status == 200 and response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.body))
    assert archive.namelist() == [f"BTCUSDT-metrics-{day}.csv"]
    return list(csv.reader(io.StringIO(archive.read(archive.namelist()[0]).decode())))


def test_archive_day_has_288_five_minute_rows(transport):
    rows = read_archive(get(transport, METRICS.format("2025-10-14")), "2025-10-14")
    assert rows[0] == ["create_time", "symbol", "sum_open_interest", "sum_open_interest_value",
                       "count_toptrader_long_short_ratio", "sum_toptrader_long_short_ratio",
                       "count_long_short_ratio", "sum_taker_long_short_vol_ratio"]
    body = rows[1:]
    assert len(body) == 288
    assert body[0][0] == "2025-10-14 00:00:00" and body[1][0] == "2025-10-14 00:05:00"
    assert body[-1][0] == "2025-10-14 23:55:00"


def test_early_archive_repeats_rows_exactly(transport):
    body = read_archive(get(transport, METRICS.format("2021-01-05")), "2021-01-05")[1:]
    stamps = [row[0] for row in body]
    assert len(body) > 288 and len(set(stamps)) == 288
    for i in range(1, len(body)):
        if stamps[i] == stamps[i - 1]:
            assert body[i] == body[i - 1]


def test_archive_missing_days_are_s3_404(transport):
    for day in ("2025-10-15", "2025-10-16", "2020-08-31"):  # today (incomplete), future, before the archive
        response = get(transport, METRICS.format(day))
        assert response.status == 404 and response.headers["Content-Type"] == "application/xml"
        assert b"<Error><Code>NoSuchKey</Code>" in response.body
    other = "https://data.binance.vision/data/futures/um/daily/metrics/ETHUSDT/ETHUSDT-metrics-2025-10-14.zip"
    assert get(transport, other).status == 404


def test_archive_bytes_are_deterministic(transport):
    first = get(transport, METRICS.format("2024-08-05")).body
    again = get(SampleTransport(now=datetime(2026, 1, 1)), METRICS.format("2024-08-05")).body
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(again).hexdigest()


def test_api_and_archive_agree_at_the_same_instant(transport):
    rows = read_archive(get(transport, METRICS.format("2025-10-14")), "2025-10-14")[1:]
    archive = {row[0]: (row[2], row[3]) for row in rows}
    start = int(datetime(2025, 10, 14, 10, 0, tzinfo=timezone.utc).timestamp() * 1000)
    api = get_json(transport, OI_HIST, symbol="BTCUSDT", period="5m", startTime=start, limit=12)[1]
    for row in api:  # API bucket [t, t + 5m) carries the OI at t + 5m
        edge = datetime.fromtimestamp((row["timestamp"] + 300_000) / 1000, tz=timezone.utc)
        assert archive[edge.strftime("%Y-%m-%d %H:%M:%S")] == (row["sumOpenInterest"], row["sumOpenInterestValue"])


# -- spot klines ---------------------------------------------------------------------------------------------
def test_klines_shape(transport):
    status, rows = get_json(transport, KLINES, symbol="BTCUSDT", interval="1h", startTime=JAN_2021, limit=3)
    assert status == 200 and [r[0] for r in rows] == [JAN_2021 + i * H for i in range(3)]
    for row in rows:
        assert len(row) == 12 and row[6] == row[0] + H - 1 and isinstance(row[8], int) and row[11] == "0"
        assert all(DECIMAL8.fullmatch(row[i]) for i in (1, 2, 3, 4, 5, 7, 9, 10))
        o, h, l, c = (float(x) for x in row[1:5])
        assert l <= min(o, c) <= max(o, c) <= h
        assert 0 < float(row[9]) < float(row[5])  # taker buys are part of the volume


def test_klines_daily_limits_and_now(transport):
    rows = get_json(transport, KLINES, symbol="BTCUSDT", interval="1d")[1]
    assert len(rows) == 500 and all(r[0] % D == 0 and r[6] == r[0] + D - 1 for r in rows)
    assert rows[-1][0] <= NOW_MS < rows[-1][0] + D  # today's kline is open, nothing later
    assert float(rows[-1][5]) < 0.8 * float(rows[-2][5])  # ... and only half a day has traded
    assert 10_000 < float(rows[-2][5]) < 300_000  # tens of thousands of BTC a day
    assert len(get_json(transport, KLINES, symbol="BTCUSDT", interval="1h", limit=5000)[1]) == 1000
    whole = get_json(transport, KLINES, symbol="BTCUSDT", interval="1h", startTime=rows[-2][0], limit=24)[1]
    assert float(rows[-2][5]) == pytest.approx(sum(float(r[5]) for r in whole), rel=1e-9)
    assert rows[-2][2] == max((r[2] for r in whole), key=float) and rows[-2][4] == whole[-1][4]


def test_klines_errors(transport):
    assert error_of(transport, KLINES, symbol="BTCUSDT", interval="7m") == (400, -1120, "Invalid interval.")
    assert error_of(transport, KLINES, symbol="DOGEBTC", interval="1h") == (400, -1121, "Invalid symbol.")
    assert error_of(transport, KLINES, symbol="BTCUSDT", interval="1h", startTime="abc")[1] == -1100


# -- routing -------------------------------------------------------------------------------------------------
def test_unknown_path_and_host(transport):
    status, body = get_json(transport, "https://fapi.binance.com/fapi/v1/nothingHere")
    assert status == 404 and body["code"] == -5000
    with pytest.raises(OSError, match="sample world has no provider at example.org"):
        get(transport, "https://example.org/api")


def test_naive_and_aware_now_are_the_same_clock(transport):
    aware = SampleTransport(now=NOW.replace(tzinfo=timezone.utc))
    params = {"symbol": "BTCUSDT", "period": "5m", "limit": 3}
    assert get(aware, OI_HIST, **params).body == get(transport, OI_HIST, **params).body

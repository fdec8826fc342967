"""dYdX v4 connector: newest-first backwards paging, ISO times, error envelopes, the launch cut-off."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from orchestration.feeds import dydx
from orchestration.feeds.base import Window, fetch, to_ms, utc_time
from orchestration.feeds.http import FeedClient, FeedHttpError, FeedParseError, HttpResponse, RateLimiter

NOW = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)
H = 3_600_000


def funding_row(ms: int, rate: str = "0.0000125") -> dict:
    return {"ticker": "BTC-USD", "rate": rate, "price": "37000.5", "effectiveAt": dydx.iso(ms),
            "effectiveAtHeight": str(1234567 + ms // H)}


def candle(ms: int, oi: str = "512.3") -> dict:
    return {"startedAt": dydx.iso(ms), "ticker": "BTC-USD", "resolution": "1HOUR", "low": "36900", "high": "37100",
            "open": "37000", "close": "37050.5", "baseTokenVolume": "10.5", "usdVolume": "388000.25", "trades": 12,
            "startingOpenInterest": oi}

T0 = 1698796800000  # 2023-11-01, dYdX v4 era


def ms_of(text: str) -> int:
    return to_ms(utc_time(text).replace(tzinfo=timezone.utc))


class NewestFirst:
    """A stand-in for the indexer: hourly rows newest first, at most `limit`, bounded as the params say."""

    def __init__(self, first_ms: int):
        self.first_ms, self.calls = first_ms, []

    def send(self, request, timeout):
        p = request.params
        self.calls.append(dict(p))
        limit = int(p["limit"])
        if "effectiveBeforeOrAt" in p:
            top, bottom, make, key = ms_of(p["effectiveBeforeOrAt"]), self.first_ms, funding_row, "historicalFunding"
        else:
            top, bottom, make, key = ms_of(p["toISO"]), max(self.first_ms, ms_of(p["fromISO"])), candle, "candles"
        stamps = range(top // H * H, bottom - 1, -H)
        return HttpResponse(200, json.dumps({key: [make(t) for t in stamps][:limit]}).encode())


def client(transport) -> FeedClient:
    return FeedClient(dydx.PROVIDER, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)


def test_iso_round_trip_and_offsets():
    assert dydx.iso(1698796800000) == "2023-11-01T00:00:00.000Z"
    assert dydx.iso(1698796800000 - 1) == "2023-10-31T23:59:59.999Z"
    assert utc_time("2023-11-01T00:00:00.000Z") == datetime(2023, 11, 1)
    with pytest.raises(ValueError, match="offset"):  # one time zone: an offset is refused, not converted
        utc_time("2023-11-01T02:00:00+02:00")


def test_funding_parses_strings():
    (row,) = dydx.Funding().parse(json.dumps({"historicalFunding": [funding_row(1698796800000, "-0.00000125")]}).encode())
    assert row == {"ticker": "BTC-USD", "effective_at": datetime(2023, 11, 1), "rate": -0.00000125,
                   "price": 37000.5, "effective_at_height": 1234567 + 1698796800000 // H}
    assert dydx.Funding().parse(b'{"historicalFunding":[]}') == []


def test_candles_parse_strings_and_numbers():
    rec = dict(candle(1698796800000), startingOpenInterest=512.3, usdVolume=None)
    (row,) = dydx.OpenInterest().parse(json.dumps({"candles": [rec]}).encode())
    assert row == {"ticker": "BTC-USD", "started_at": datetime(2023, 11, 1), "starting_open_interest": 512.3,
                   "close": 37050.5, "usd_volume": None}
    assert dydx.OpenInterest().parse(b'{"candles":[]}') == []


def test_funding_pages_backwards_until_the_window_start():
    window = Window(date(2024, 1, 1), date(2024, 1, 10))  # 240 hours = 3 pages of <= 100
    transport = NewestFirst(to_ms(datetime(2023, 10, 27, tzinfo=timezone.utc)))
    pages = fetch(client(transport), dydx.Funding(), window, NOW)
    rows = [r for _, page_rows in pages for r in page_rows]
    assert transport.calls[0] == {"limit": "100", "effectiveBeforeOrAt": "2024-01-10T23:59:59.999Z"}
    assert len(transport.calls) == 3
    assert transport.calls[1]["effectiveBeforeOrAt"] == dydx.iso(to_ms(rows[99]["effective_at"].replace(tzinfo=timezone.utc)) - 1)
    in_window = {r["effective_at"] for r in rows if r["effective_at"] >= datetime(2024, 1, 1)}
    assert len(in_window) == 240 and len({r["effective_at"] for r in rows}) == len(rows)
    assert min(r["effective_at"] for r in rows) <= datetime(2024, 1, 1)


def test_funding_stops_at_the_start_of_history():
    launch = to_ms(datetime(2023, 10, 27, tzinfo=timezone.utc))
    transport = NewestFirst(launch)
    pages = fetch(client(transport), dydx.Funding(), Window(date(2023, 10, 1), date(2023, 10, 28)), NOW)
    rows = [r for _, page_rows in pages for r in page_rows]
    assert len(rows) == 48 and len(transport.calls) == 1  # a short page: nothing older exists


def test_candles_page_backwards_with_to_iso_and_keep_from_iso():
    window = Window(date(2024, 2, 1), date(2024, 2, 5))  # 120 candles = 2 pages
    transport = NewestFirst(0)
    pages = fetch(client(transport), dydx.OpenInterest(), window, NOW)
    rows = [r for _, page_rows in pages for r in page_rows]
    assert [c["fromISO"] for c in transport.calls] == ["2024-02-01T00:00:00.000Z"] * 2
    assert transport.calls[0]["toISO"] == "2024-02-05T23:59:59.999Z" and transport.calls[0]["resolution"] == "1HOUR"
    assert transport.calls[1]["toISO"] == "2024-02-01T19:59:59.999Z"  # just before the oldest of page 1
    assert len(rows) == 120 and len({r["started_at"] for r in rows}) == 120


def test_requests_never_reach_past_now_or_before_launch():
    funding, oi = dydx.Funding(), dydx.OpenInterest()
    assert funding.requests(Window(date(2023, 1, 1), date(2023, 10, 26)), NOW) == []
    assert not oi.servable(date(2023, 10, 26), NOW) and oi.servable(date(2023, 10, 27), NOW)
    assert not oi.servable(date(2024, 3, 3), NOW)
    (first,) = oi.requests(Window(date(2023, 10, 1), date(2023, 10, 31)), NOW)
    assert first.params["fromISO"] == "2023-10-27T00:00:00.000Z"
    (today,) = funding.requests(Window(date(2024, 3, 1), date(2024, 3, 5)), NOW)
    assert today.params["effectiveBeforeOrAt"] == "2024-03-02T00:30:00.000Z"


def test_error_envelope_is_reported_with_its_message():
    dataset = dydx.OpenInterest()
    request = dataset.requests(Window(date(2024, 1, 1), date(2024, 1, 1)), NOW)[0]
    body = b'{"errors":[{"value":"1HR","msg":"resolution must be a valid Candle Resolution","param":"resolution"}]}'
    with pytest.raises(FeedHttpError, match=r"\[dydx/open_interest\] HTTP 400 .*valid Candle Resolution"):
        dataset.check(request, HttpResponse(400, body))
    with pytest.raises(FeedHttpError, match="HTTP 404"):
        dataset.check(request, HttpResponse(404, b"Not Found"))
    dataset.check(request, HttpResponse(200, b'{"candles":[]}'))


@pytest.mark.parametrize("dataset, body, expected", [
    (dydx.Funding(), b"<html/>", "not JSON"),
    (dydx.Funding(), b"[]", "with 'historicalFunding'"),
    (dydx.Funding(), b'{"historicalFunding":{}}', "JSON list"),
    (dydx.Funding(), b'{"historicalFunding":[{"ticker":"BTC-USD","rate":"0.1"}]}', "missing field 'effectiveAt'"),
    (dydx.Funding(), json.dumps({"historicalFunding": [dict(funding_row(0), effectiveAt="yesterday")]}).encode(),
     "unreadable value 'yesterday'"),
    (dydx.OpenInterest(), json.dumps({"candles": [dict(candle(T0), startingOpenInterest="x")]}).encode(),
     "unreadable value 'x'"),
    (dydx.OpenInterest(), json.dumps({"candles": [dict(candle(T0), resolution="1DAY")]}).encode(), "resolution"),
    (dydx.OpenInterest(), json.dumps({"candles": [candle(T0), candle(T0, "1.0")]}).encode(), "conflicting candles"),
])
def test_malformed_payloads_name_provider_and_problem(dataset, body, expected):
    with pytest.raises(FeedParseError) as err:
        dataset.parse(body)
    assert f"[dydx/{dataset.name}]" in str(err.value) and expected in str(err.value)


def test_cli_prints_parsed_rows_as_csv(tmp_path):
    payload = tmp_path / "candles.json"
    payload.write_text(json.dumps({"candles": [candle(1698796800000)]}))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.dydx", "open_interest", str(payload)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["ticker,started_at,starting_open_interest,close,usd_volume",
                   "BTC-USD,2023-11-01 00:00:00,512.3,37050.5,388000.25"]


def test_candles_must_be_hourly_and_inside_from_to():
    dataset = dydx.OpenInterest()
    four_hourly = json.dumps({"candles": [candle(T0 + 12 * H - i * 4 * H) for i in range(3)]}).encode()
    with pytest.raises(FeedParseError, match=r"\[dydx/open_interest\] candles are 4h apart \(2023-11-01 "
                                             r"04:00:00.000 and 2023-11-01 08:00:00.000\), not the 1HOUR asked for"):
        dataset.parse(four_hourly)
    with pytest.raises(FeedParseError, match="candles: 2023-11-01 00:30:00.000 is off the 1HOUR grid"):
        dataset.parse(json.dumps({"candles": [candle(T0 + H // 2)]}).encode())
    window = Window(date(2023, 11, 2), date(2023, 11, 2))
    (request,) = dataset.requests(window, NOW)
    rows = dataset.parse(json.dumps({"candles": [candle(T0)]}).encode())
    with pytest.raises(FeedParseError, match="candle at 2023-11-01 00:00:00.000 lies outside the requested "
                                             "fromISO..toISO"):
        dataset.next_request(request, rows, window)


def test_funding_later_than_effective_before_or_at_is_refused():
    dataset = dydx.Funding()
    window = Window(date(2023, 11, 1), date(2023, 11, 1))
    (request,) = dataset.requests(window, NOW)
    rows = dataset.parse(json.dumps({"historicalFunding": [funding_row(T0 + 30 * H)]}).encode())
    with pytest.raises(FeedParseError, match=r"funding row at 2023-11-02 06:00:00.000 lies outside the requested "
                                             r"effectiveBeforeOrAt \(at most 2023-11-01 23:59:59.999\)"):
        dataset.next_request(request, rows, window)

"""Bybit connector: request building, both paging styles, parsing of payloads shaped as sources.md says."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from orchestration.feeds import bybit
from orchestration.feeds.base import Window, fetch, to_ms
from orchestration.feeds.http import FeedClient, FeedHttpError, FeedParseError, HttpResponse, RateLimiter
from orchestration.sample.transport import SampleTransport

NOW = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)
H = 3_600_000


def envelope(rows: list, cursor: str | None = None, code: int = 0, msg: str = "OK") -> bytes:
    result: dict = {"category": "linear", "list": rows}
    if cursor is not None:
        result.update(symbol="BTCUSDT", nextPageCursor=cursor)
    return json.dumps({"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {},
                       "time": 1700000000000}).encode()


def funding_row(ms: int, rate: str = "0.0001") -> dict:
    return {"symbol": "BTCUSDT", "fundingRate": rate, "fundingRateTimestamp": str(ms)}


def client(transport) -> FeedClient:
    return FeedClient(bybit.PROVIDER, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)


class PagingFunding:
    """A minimal stand-in for /v5/market/funding/history: the newest `limit` rows in [start, end], newest first."""

    def __init__(self, stamps: list[int]):
        self.stamps, self.calls = stamps, []

    def send(self, request, timeout):
        p = request.params
        self.calls.append(dict(p))
        start, end, limit = int(p["startTime"]), int(p["endTime"]), int(p["limit"])
        rows = [funding_row(t) for t in sorted(self.stamps, reverse=True) if start <= t <= end][:limit]
        return HttpResponse(200, envelope(rows))


def test_funding_parses_string_numbers_newest_first():
    rows = bybit.Funding().parse(envelope([funding_row(1700006400000, "-0.00005484"), funding_row(1699977600000)]))
    assert [r["funding_time"] for r in rows] == [datetime(2023, 11, 15, 0), datetime(2023, 11, 14, 16)]
    assert rows[0]["funding_rate"] == pytest.approx(-0.00005484) and rows[0]["symbol"] == "BTCUSDT"
    assert set(rows[0]) == set(bybit.Funding.columns)


def test_open_interest_parses_rows_and_cursor():
    body = envelope([{"openInterest": "52311.123", "timestamp": "1700002800000"}], cursor="abc==")
    rows = bybit.OpenInterest().parse(body)
    assert rows == [{"symbol": "BTCUSDT", "ts": datetime(2023, 11, 14, 23), "interval": "1h",
                     "oi_btc": pytest.approx(52311.123)}]
    assert rows.cursor == "abc==" and set(rows[0]) == set(bybit.OpenInterest.columns)
    assert bybit.OpenInterest().parse(envelope([], cursor="")).cursor == ""


def test_empty_lists_parse_to_no_rows():
    assert bybit.Funding().parse(envelope([])) == []
    assert bybit.OpenInterest().parse(envelope([], cursor="")) == []


@pytest.mark.parametrize("body, expected", [
    (b"<html>502 Bad Gateway</html>", "not JSON"),
    (b"[]", "Bybit envelope"),
    (b'{"retCode":0,"retMsg":"OK","result":[]}', "'result' as an object"),
    (b'{"retCode":0,"retMsg":"OK","result":{"category":"linear"}}', "result.list"),
    (b'{"retCode":10001,"retMsg":"params error: symbol invalid","result":{}}', "symbol invalid"),
    (envelope([{"symbol": "BTCUSDT", "fundingRate": "0.0001"}]), "missing field 'fundingRateTimestamp'"),
    (envelope([funding_row(1700000000000, "abc")]), "unreadable value 'abc'"),
    (envelope([funding_row(1700000000000, "NaN")]), "not finite"),
])
def test_malformed_funding_payloads_name_provider_and_problem(body, expected):
    with pytest.raises(FeedParseError) as err:
        bybit.Funding().parse(body)
    assert "[bybit/funding]" in str(err.value) and expected in str(err.value)


def test_malformed_open_interest_payloads():
    with pytest.raises(FeedParseError, match=r"'openInterest' in result.list\[0\] has unreadable value 'x'"):
        bybit.OpenInterest().parse(envelope([{"openInterest": "x", "timestamp": "1700000000000"}], cursor=""))
    with pytest.raises(FeedParseError, match="nextPageCursor should be a string"):
        bybit.OpenInterest().parse(envelope([], cursor=5))


@pytest.mark.parametrize("status, body, expected", [
    (200, b'{"retCode":10001,"retMsg":"params error: symbol invalid","result":{}}', "retCode 10001.*symbol invalid"),
    (200, b'{"retCode":10006,"retMsg":"Too many visits!","result":{}}', "rate limited: retCode 10006"),
    (403, b"<html>403 Forbidden</html>", r"HTTP 403 on .*\(rate limited\)$"),
    (404, b"404 page not found", "HTTP 404"),
])
def test_error_answers_are_http_errors(status, body, expected):
    dataset = bybit.Funding()
    request = dataset.requests(Window(date(2024, 1, 1), date(2024, 1, 1)), NOW)[0]
    with pytest.raises(FeedHttpError, match=expected) as err:
        dataset.check(request, HttpResponse(status, body))
    assert "[bybit/funding]" in str(err.value)
    dataset.check(request, HttpResponse(200, envelope([])))  # success passes


def test_requests_cover_servable_days_only():
    funding, oi = bybit.Funding(), bybit.OpenInterest()
    (req,) = funding.requests(Window(date(2020, 3, 20), date(2020, 3, 30)), NOW)
    assert req.url == "https://api.bybit.com/v5/market/funding/history"
    assert req.params == {"category": "linear", "symbol": "BTCUSDT", "limit": "200",
                          "startTime": str(to_ms(datetime(2020, 3, 25, tzinfo=timezone.utc))),
                          "endTime": str(to_ms(datetime(2020, 3, 31, tzinfo=timezone.utc)) - 1)}
    assert funding.requests(Window(date(2020, 1, 1), date(2020, 3, 24)), NOW) == []
    assert oi.requests(Window(date(2024, 3, 3), date(2024, 3, 5)), NOW) == []  # the future
    (req,) = oi.requests(Window(date(2024, 3, 1), date(2024, 3, 9)), NOW)
    assert req.params["intervalTime"] == "1h" and "cursor" not in req.params
    assert req.params["endTime"] == str(to_ms(datetime(2024, 3, 3, tzinfo=timezone.utc)) - 1)
    assert funding.servable(date(2020, 3, 25), NOW) and not funding.servable(date(2020, 3, 24), NOW)


def test_funding_pages_backwards_by_end_time():
    window = Window(date(2021, 1, 1), date(2021, 12, 31))  # 365 x 3 = 1095 rows = 6 pages
    stamps = [to_ms(window.start_dt) + i * 8 * H for i in range(1095)]
    transport = PagingFunding(stamps)
    rows = [r for _, page in fetch(client(transport), bybit.Funding(), window, NOW) for r in page]
    assert len(transport.calls) == 6
    assert len(rows) == 1095 and len({r["funding_time"] for r in rows}) == 1095
    assert all(call["startTime"] == str(window.start_ms) for call in transport.calls)
    assert int(transport.calls[1]["endTime"]) == sorted(stamps)[-200] - 1


def test_funding_refuses_a_page_outside_the_range():
    dataset = bybit.Funding()
    window = Window(date(2024, 1, 1), date(2024, 1, 1))
    request = dataset.requests(window, NOW)[0]
    late = dataset.parse(envelope([funding_row(window.end_ms + 8 * H)]))
    with pytest.raises(FeedParseError, match="ignored the time range"):
        dataset.next_request(request, late, window)


def test_open_interest_follows_cursor_and_refuses_a_loop():
    dataset = bybit.OpenInterest()
    window = Window(date(2024, 1, 1), date(2024, 1, 1))
    request = dataset.requests(window, NOW)[0]
    row = {"openInterest": "1.0", "timestamp": str(window.start_ms)}
    follow = dataset.next_request(request, dataset.parse(envelope([row], cursor="c2")), window)
    assert follow.params["cursor"] == "c2" and follow.params["startTime"] == request.params["startTime"]
    assert dataset.next_request(request, dataset.parse(envelope([row], cursor="")), window) is None
    assert dataset.next_request(request, dataset.parse(envelope([], cursor="c3")), window) is None
    with pytest.raises(FeedParseError, match="repeats the request's cursor"):
        dataset.next_request(follow, dataset.parse(envelope([row], cursor="c2")), window)


@pytest.mark.parametrize("dataset, per_day", [(bybit.Funding(), 3), (bybit.OpenInterest(), 24)])
def test_multi_page_window_from_the_sample_world(dataset, per_day):
    now = datetime(2025, 10, 15, 12, 3, 20)
    window = Window(date(2025, 8, 1), date(2025, 10, 15))  # today included: only up to now
    transport = SampleTransport(now=now)
    pages = fetch(client(transport), dataset, window, now)
    rows = [r for _, page in pages for r in page]
    times = [r[dataset.time_column] for r in rows]
    expected = (window.end - window.start).days * per_day + (12 // (24 // per_day)) + 1
    assert len(pages) > 1 and len(rows) == expected
    assert len(set(times)) == len(times) and times == sorted(times, reverse=True)  # unique, newest first
    assert min(times) == datetime(2025, 8, 1) and max(times) <= now
    assert all(r["symbol"] == "BTCUSDT" for r in rows)


def test_cli_prints_parsed_rows_as_csv(tmp_path):
    payload = tmp_path / "oi.json"
    payload.write_bytes(envelope([{"openInterest": "52311.123", "timestamp": "1700002800000"}], cursor=""))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.bybit", "open_interest", str(payload)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["symbol,ts,interval,oi_btc", "BTCUSDT,2023-11-14 23:00:00,1h,52311.123"]
    bad = subprocess.run([sys.executable, "-m", "orchestration.feeds.bybit", "funding", __file__],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "[bybit/funding]" in bad.stderr


def test_open_interest_rows_must_be_the_hourly_interval_asked_for():
    """The answer does not name its intervalTime: its stamps must be hours, on the hour (a bucket missing is ok)."""
    top = 1700002800000  # 2023-11-14 23:00 UTC
    five_minutes = envelope([{"openInterest": "52311.1", "timestamp": str(top - i * 300_000)} for i in range(3)],
                            cursor="")
    with pytest.raises(FeedParseError, match=r"\[bybit/open_interest\] OI rows are 5m apart \(2023-11-14 "
                                             r"22:50:00.000 and 2023-11-14 22:55:00.000\), not the 1h asked for"):
        bybit.OpenInterest().parse(five_minutes)
    off_grid = envelope([{"openInterest": "52311.1", "timestamp": str(top + 60_000)}], cursor="")
    with pytest.raises(FeedParseError, match="OI rows: 2023-11-14 23:01:00.000 is off the 1h grid"):
        bybit.OpenInterest().parse(off_grid)
    one_missing = envelope([{"openInterest": "52311.1", "timestamp": str(top - k * H)} for k in (0, 1, 3)],
                           cursor="")
    assert len(bybit.OpenInterest().parse(one_missing)) == 3

"""OKX connector: envelopes, newest-first backwards paging, history limits and parsing of payloads shaped as
sources.md says."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from orchestration.feeds import okx
from orchestration.feeds.base import Window, fetch, to_ms
from orchestration.feeds.http import FeedClient, FeedHttpError, FeedParseError, HttpResponse, RateLimiter
from orchestration.sample.transport import SampleTransport

NOW = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)
H = 3_600_000


def envelope(data, code: str = "0", msg: str = "") -> bytes:
    return json.dumps({"code": code, "msg": msg, "data": data}).encode()


def funding_rec(ms: int, rate: str = "0.0001", realized: str = "0.00009") -> dict:
    return {"instType": "SWAP", "instId": "BTC-USDT-SWAP", "fundingRate": rate, "realizedRate": realized,
            "fundingTime": str(ms), "method": "current_period", "formulaType": "noRate"}


def client(transport) -> FeedClient:
    return FeedClient(okx.PROVIDER, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)


class PagingFunding:
    """A minimal stand-in for funding-rate-history: rows earlier than ``after``, newest first, ``limit``."""

    def __init__(self, stamps: list[int]):
        self.stamps, self.calls = sorted(stamps), []

    def send(self, request, timeout):
        p = request.params
        self.calls.append(dict(p))
        older = [t for t in self.stamps if t < int(p["after"])][-int(p["limit"]):]
        return HttpResponse(200, envelope([funding_rec(t) for t in reversed(older)]))


# -- funding -----------------------------------------------------------------------------------------
def test_funding_parses_strings_and_optional_realized_rate():
    body = envelope([funding_rec(1709337600000, "0.00012345", "0.0001234"),
                     funding_rec(1709308800000, "-0.0003", "")])
    rows = okx.Funding().parse(body)
    assert rows[0] == {"inst_id": "BTC-USDT-SWAP", "funding_time": datetime(2024, 3, 2, 0),
                       "funding_rate": pytest.approx(0.00012345), "realized_rate": pytest.approx(0.0001234)}
    assert rows[1]["funding_time"] == datetime(2024, 3, 1, 16) and rows[1]["realized_rate"] is None
    assert list(rows[0]) == list(okx.Funding.columns)


def test_empty_data_parses_to_no_rows():
    assert okx.Funding().parse(envelope([])) == []
    assert okx.OpenInterest().parse(envelope([])) == []


@pytest.mark.parametrize("body, expected", [
    (b"<html>502 Bad Gateway</html>", "not JSON"),
    (b"[]", "envelope"),
    (envelope(None), "data as a JSON list"),
    (b'{"code":"51001","msg":"Instrument ID does not exist","data":[]}', "error 51001: Instrument ID does not exist"),
    (envelope([{"instId": "BTC-USDT-SWAP", "fundingRate": "0.0001"}]), "missing field 'fundingTime' in data[0]"),
    (envelope([funding_rec(1709337600000, "abc")]), "unreadable value 'abc'"),
    (envelope([funding_rec(1709337600000, "NaN")]), "not finite"),
])
def test_malformed_funding_payloads_name_provider_and_problem(body, expected):
    with pytest.raises(FeedParseError) as err:
        okx.Funding().parse(body)
    assert "[okx/funding]" in str(err.value) and expected in str(err.value)


def test_error_code_is_an_error_even_with_http_200():
    dataset = okx.Funding()
    request = dataset.requests(Window(date(2024, 3, 1), date(2024, 3, 1)), NOW)[0]
    with pytest.raises(FeedHttpError, match="51001.*Instrument ID does not exist"):
        dataset.check(request, HttpResponse(200, b'{"code":"51001","msg":"Instrument ID does not exist","data":[]}'))
    with pytest.raises(FeedHttpError, match="HTTP 429 on .*: error 50011: Too Many Requests$"):
        dataset.check(request, HttpResponse(429, b'{"code":"50011","msg":"Too Many Requests"}'))
    with pytest.raises(FeedHttpError, match="HTTP 502"):
        dataset.check(request, HttpResponse(502, b"<html>bad gateway</html>"))
    dataset.check(request, HttpResponse(200, envelope([])))  # fine


def test_funding_plan_covers_only_the_last_92_days():
    dataset = okx.Funding()
    assert dataset.servable(date(2024, 3, 2), NOW) and dataset.servable(date(2023, 12, 2), NOW)
    assert not dataset.servable(date(2023, 12, 1), NOW)  # 92 days old
    assert not dataset.servable(date(2024, 3, 3), NOW)  # not yet
    (request,) = dataset.requests(Window(date(2023, 6, 1), date(2024, 3, 10)), NOW)
    assert request.params == {"instId": "BTC-USDT-SWAP", "after": str(to_ms(datetime(2024, 3, 3, tzinfo=timezone.utc))),
                              "limit": "400"}
    assert dataset.requests(Window(date(2023, 1, 1), date(2023, 1, 31)), NOW) == []


def test_funding_pages_backwards_until_the_window_start():
    window = Window(date(2024, 1, 1), date(2024, 2, 29))  # 60 days x 3 = 180 events
    stamps = [to_ms(datetime(2023, 12, 1, tzinfo=timezone.utc)) + i * 8 * H for i in range(3 * 100)]
    transport = PagingFunding(stamps)
    dataset = okx.Funding()
    dataset.limit = 50
    pages = fetch(client(transport), dataset, window, NOW)
    rows = [r for _, page in pages for r in page]
    inside = {r["funding_time"] for r in rows if date(2024, 1, 1) <= r["funding_time"].date() <= date(2024, 2, 29)}
    assert len(inside) == 180
    assert len(transport.calls) == 4  # 50 + 50 + 50 + 50 rows: the 4th page reaches back past Jan 1
    assert [int(c["after"]) for c in transport.calls[1:]] == [
        to_ms(min(r["funding_time"] for r in page).replace(tzinfo=timezone.utc)) for _, page in pages[:-1]]


def test_funding_paging_stops_on_an_empty_page_and_refuses_a_stuck_cursor():
    dataset = okx.Funding()
    window = Window(date(2024, 1, 1), date(2024, 1, 31))
    request = dataset.requests(window, NOW)[0]
    assert dataset.next_request(request, [], window) is None
    stuck = dataset.parse(envelope([funding_rec(int(request.params["after"]))]))
    with pytest.raises(FeedParseError, match="ignored the cursor"):
        dataset.next_request(request, stuck, window)


# -- open interest ---------------------------------------------------------------------------------
def test_open_interest_rows_carry_the_requested_period():
    body = envelope([["1709337600000", "5234567890.1", "98765432.1"], ["1709334000000", "5230000000", "1.5e8"]])
    dataset = okx.OpenInterest()
    rows = dataset.parse(body)
    assert rows[0] == {"ccy": "BTC", "ts": datetime(2024, 3, 2), "period": "1H",
                       "oi_usd": pytest.approx(5234567890.1), "volume_usd": pytest.approx(98765432.1)}
    assert list(rows[0]) == list(okx.OpenInterest.columns)
    window = Window(date(2024, 3, 1), date(2024, 3, 2))
    daily = okx.OpenInterest._request("1D", window.start_ms, window.end_ms - 1)
    (single,) = dataset.parse(envelope([["1709337600000", "5234567890.1", "98765432.1"]]))
    assert single["period"] is None  # one bucket: no spacing to tell its period by ...
    dataset.next_request(daily, [single], window)
    assert single["period"] == "1D"  # ... so the request's, which no stamp contradicts
    with pytest.raises(FeedParseError, match=r"OI buckets are 1h apart \(2024-03-01 23:00:00.000 and 2024-03-02 "
                                             r"00:00:00.000\), not the 1D asked for"):
        dataset.next_request(daily, rows, window)  # hourly buckets never land labelled 1D


def test_open_interest_refuses_a_spacing_of_neither_period_and_buckets_outside_begin_end():
    dataset = okx.OpenInterest()
    five_minutes = envelope([[str(1709337600000 - i * 300_000), "5.2e9", "9.8e7"] for i in range(3)])
    with pytest.raises(FeedParseError, match="OI buckets are 5m apart: neither the 1H nor the 1D series"):
        dataset.parse(five_minutes)
    window = Window(date(2024, 3, 2), date(2024, 3, 2))
    hourly = okx.OpenInterest._request("1H", window.start_ms, window.end_ms - 1)
    before_begin = dataset.parse(envelope([["1709337600000", "5.2e9", "9.8e7"], ["1709334000000", "5.2e9", "9.8e7"]]))
    with pytest.raises(FeedParseError, match="OI bucket at 2024-03-01 23:00:00.000 lies outside the requested "
                                             "begin..end"):
        dataset.next_request(hourly, before_begin, window)
    half_past = dataset.parse(envelope([[str(1709337600000 + 1_800_000 + i * 3_600_000), "5.2e9", "9.8e7"]
                                        for i in range(2)]))
    with pytest.raises(FeedParseError, match="off the 1H grid"):
        dataset.next_request(hourly, half_past, window)


@pytest.mark.parametrize("body, expected", [
    (envelope([["1709337600000", "1.0"]]), "data[0] should be [ts, oiUsd, volUsd]"),
    (envelope([{"ts": "1709337600000"}]), "data[0] should be"),
    (envelope([["1709337600000", "", "1"]]), "missing field 'oiUsd' in data[0]"),
    (envelope([["x", "1", "1"]]), "field 'ts' in data[0] has unreadable value 'x'"),
    (b'{"code":"51000","msg":"Parameter period error","data":[]}', "error 51000: Parameter period error"),
])
def test_malformed_open_interest_payloads(body, expected):
    with pytest.raises(FeedParseError) as err:
        okx.OpenInterest().parse(body)
    assert "[okx/open_interest]" in str(err.value) and expected in str(err.value)


def test_open_interest_plan_uses_1h_within_30_days_1d_within_180_and_nothing_older():
    dataset = okx.OpenInterest()
    today = date(2024, 3, 2)
    assert dataset.hourly_cutoff(NOW) == date(2024, 2, 3) and dataset.daily_cutoff(NOW) == date(2023, 9, 6)
    assert dataset.servable(date(2023, 9, 6), NOW) and not dataset.servable(date(2023, 9, 5), NOW)
    assert dataset.servable(today, NOW) and not dataset.servable(date(2024, 3, 3), NOW)
    daily, hourly = dataset.requests(Window(date(2023, 1, 1), date(2024, 3, 5)), NOW)
    assert daily.params == {"ccy": "BTC", "period": "1D", "begin": str(to_ms(datetime(2023, 9, 6, tzinfo=timezone.utc))),
                            "end": str(to_ms(datetime(2024, 2, 3, tzinfo=timezone.utc)) - 1)}
    assert hourly.params["period"] == "1H"
    assert hourly.params["begin"] == str(to_ms(datetime(2024, 2, 3, tzinfo=timezone.utc)))
    assert hourly.params["end"] == str(to_ms(datetime(2024, 3, 3, tzinfo=timezone.utc)) - 1)
    assert dataset.requests(Window(date(2023, 1, 1), date(2023, 9, 5)), NOW) == []  # unavailable, not failed
    assert [r.params["period"] for r in dataset.requests(Window(date(2024, 2, 10), date(2024, 2, 11)), NOW)] == ["1H"]


def test_open_interest_through_the_sample_world_pages_and_stays_within_history():
    now = datetime(2025, 10, 15, 12, 3, 20)
    dataset = okx.OpenInterest()
    window = Window(date(2025, 1, 1), date(2025, 10, 15))
    pages = fetch(client(SampleTransport(now=now)), dataset, window, now)
    rows = [r for _, page in pages for r in page]
    hourly = [r for r in rows if r["period"] == "1H"]
    daily = [r for r in rows if r["period"] == "1D"]
    assert len(pages) >= 3  # 28.5 days of hours exceed one answer: paged back with ``end``
    assert {r["ts"].date() for r in daily} == {d for d in window.days() if date(2025, 4, 20) <= d < date(2025, 9, 17)}
    hours = sorted(r["ts"] for r in hourly)
    assert hours[0] == datetime(2025, 9, 17) and hours[-1] == datetime(2025, 10, 15, 12)
    assert len(hours) == len(set(hours)) == 28 * 24 + 13
    assert all(r["oi_usd"] > 1e9 and r["volume_usd"] > 0 for r in rows)


def test_funding_through_the_sample_world_pages_over_more_than_one_page():
    now = datetime(2025, 10, 15, 12, 3, 20)
    dataset = okx.Funding()
    dataset.limit = 100
    window = Window(date(2025, 8, 1), date(2025, 10, 15))
    transport = SampleTransport(now=now)
    pages = fetch(client(transport), dataset, window, now)
    times = [r["funding_time"] for _, page in pages for r in page if r["funding_time"] >= datetime(2025, 8, 1)]
    assert len(pages) == 3 and len(times) == len(set(times)) == 75 * 3 + 2  # through 2025-10-15 08:00
    assert all(t.hour in (0, 8, 16) and t.minute == 0 for t in times)


def test_cli_prints_parsed_rows_as_csv(tmp_path):
    payload = tmp_path / "funding.json"
    payload.write_bytes(envelope([funding_rec(1709337600000, "0.0001", "")]))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.okx", "funding", str(payload)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["inst_id,funding_time,funding_rate,realized_rate", "BTC-USDT-SWAP,2024-03-02 00:00:00,0.0001,"]
    payload.write_bytes(envelope([["1709337600000", "5.0e9", "1.0e8"], ["1709251200000", "4.9e9", "1.1e8"]]))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.okx", "open_interest", str(payload)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "ccy,ts,period,oi_usd,volume_usd" and out[1] == "BTC,2024-03-02 00:00:00,1D,5000000000.0,100000000.0"
    bad = subprocess.run([sys.executable, "-m", "orchestration.feeds.okx", "funding", __file__],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "[okx/funding]" in bad.stderr

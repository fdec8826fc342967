"""Deribit connector: 744-hour chunking, JSON-RPC envelopes and errors, the OI snapshot's servable rule."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from orchestration.feeds import deribit
from orchestration.feeds.base import Window, fetch, to_ms
from orchestration.feeds.http import FeedClient, FeedHttpError, FeedParseError, HttpResponse, RateLimiter

NOW = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)
H = 3_600_000


def envelope(result) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "result": result, "usIn": 1709339400000000,
                       "usOut": 1709339400001234, "usDiff": 1234, "testnet": False}).encode()


def funding_row(ms: int, i1=0.0000123, i8=0.0000987) -> dict:
    return {"timestamp": ms, "index_price": 37000.1, "prev_index_price": 36990.2, "interest_1h": i1,
            "interest_8h": i8}


class HourlyFunding:
    """A stand-in for get_funding_rate_history: ascending hourly rows in [start, end], at most 744."""

    def __init__(self):
        self.calls = []

    def send(self, request, timeout):
        p = request.params
        self.calls.append(dict(p))
        start, end = int(p["start_timestamp"]), int(p["end_timestamp"])
        first = -(-start // H) * H
        rows = [funding_row(t) for t in range(first, end + 1, H)][:744]
        return HttpResponse(200, envelope(rows))


def client(transport) -> FeedClient:
    return FeedClient(deribit.PROVIDER, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)


def test_funding_parses_numbers_and_strings():
    body = envelope([funding_row(1700002800000),
                     {"timestamp": "1700006400000", "index_price": "37001.5", "prev_index_price": "37000.1",
                      "interest_1h": "-0.00000200", "interest_8h": "0.00009"}])
    rows = deribit.Funding().parse(body)
    assert rows[0] == {"instrument_name": "BTC-PERPETUAL", "ts": datetime(2023, 11, 14, 23),
                       "interest_1h": 0.0000123, "interest_8h": 0.0000987, "index_price": 37000.1,
                       "prev_index_price": 36990.2}
    assert rows[1]["interest_1h"] == pytest.approx(-0.000002) and rows[1]["index_price"] == 37001.5


def test_interest_8h_is_kept_as_quoted_never_summed():
    quotes = [0.00008, 0.00009, 0.0001]
    rows = deribit.Funding().parse(envelope([funding_row(1700002800000 + i * H, 0.00001, q)
                                             for i, q in enumerate(quotes)]))
    assert [r["interest_8h"] for r in rows] == quotes  # one quote per hour, untouched
    assert [r["interest_1h"] for r in rows] == [0.00001] * 3


def test_empty_result_parses_to_no_rows():
    assert deribit.Funding().parse(envelope([])) == []
    assert deribit.OpenInterest().parse(envelope([])) == []


def test_funding_requests_are_ascending_chunks_of_at_most_744_hours():
    window = Window(date(2024, 1, 1), date(2024, 2, 29))  # 60 days = 1440 hours
    plan = deribit.Funding().requests(window, NOW)
    starts = [int(r.params["start_timestamp"]) for r in plan]
    ends = [int(r.params["end_timestamp"]) for r in plan]
    assert len(plan) == 2 and starts[0] == window.start_ms and ends[-1] == window.end_ms - 1
    assert starts == sorted(starts) and all(e - s < 744 * H for s, e in zip(starts, ends))
    assert starts[1] == ends[0] + 1  # contiguous, no overlap
    assert all(r.params["instrument_name"] == "BTC-PERPETUAL" for r in plan)


def test_funding_fetch_covers_a_long_window_once_per_hour():
    window = Window(date(2023, 1, 1), date(2023, 3, 31))  # 90 days = 2160 hours = 3 calls
    transport = HourlyFunding()
    pages = fetch(client(transport), deribit.Funding(), window, NOW)
    rows = [r for _, page_rows in pages for r in page_rows]
    assert len(transport.calls) == 3
    assert len(rows) == 2160 and len({r["ts"] for r in rows}) == 2160


def test_funding_servable_from_2020_up_to_today():
    funding = deribit.Funding()
    assert not funding.servable(date(2019, 12, 31), NOW) and funding.servable(date(2020, 1, 1), NOW)
    assert funding.servable(date(2024, 3, 2), NOW) and not funding.servable(date(2024, 3, 3), NOW)
    plan = funding.requests(Window(date(2019, 12, 30), date(2020, 1, 2)), NOW)
    assert [int(r.params["start_timestamp"]) for r in plan] == [to_ms(datetime(2020, 1, 1, tzinfo=timezone.utc))]
    assert funding.requests(Window(date(2019, 1, 1), date(2019, 1, 31)), NOW) == []


@pytest.mark.parametrize("status", [200, 400])
def test_json_rpc_errors_are_reported_with_code_and_message(status):
    dataset = deribit.Funding()
    request = dataset.requests(Window(date(2024, 1, 1), date(2024, 1, 1)), NOW)[0]
    body = b'{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params"}}'
    with pytest.raises(FeedHttpError, match=r"\[deribit/funding\] HTTP \d+ on .*: error -32602: Invalid params$"):
        dataset.check(request, HttpResponse(status, body))
    limited = b'{"jsonrpc":"2.0","error":{"code":10028,"message":"too_many_requests"}}'
    with pytest.raises(FeedHttpError, match="rate limited"):
        dataset.check(request, HttpResponse(status, limited))
    with pytest.raises(FeedHttpError, match="HTTP 502"):
        dataset.check(request, HttpResponse(502, b"<html>bad gateway</html>"))
    dataset.check(request, HttpResponse(200, envelope([])))  # a good answer passes


@pytest.mark.parametrize("body, expected", [
    (b"<html>oops</html>", "not JSON"),
    (b'[{"timestamp": 1}]', "with 'result'"),
    (b'{"jsonrpc":"2.0","result":{"timestamp":1}}', "JSON list"),
    (envelope([{"timestamp": 1700000000000, "interest_8h": 0.0001}]), "missing field 'interest_1h'"),
    (envelope([funding_row(1700000000000, i1="abc")]), "unreadable value 'abc'"),
    (envelope([funding_row(1700000000000), funding_row(1700000000000, i1=0.5)]), "conflicting rows"),
])
def test_malformed_funding_payloads_name_provider_and_problem(body, expected):
    with pytest.raises(FeedParseError) as err:
        deribit.Funding().parse(body)
    assert "[deribit/funding]" in str(err.value) and expected in str(err.value)


# -- open interest snapshot ------------------------------------------------------------------------------
def test_open_interest_is_servable_only_just_after_the_day_ends():
    oi = deribit.OpenInterest()
    day = date(2024, 3, 1)
    end = datetime(2024, 3, 2, tzinfo=timezone.utc)
    assert oi.servable(day, end) and oi.servable(day, end + timedelta(minutes=30))
    assert oi.servable(day, end + timedelta(hours=5, minutes=59))
    assert not oi.servable(day, end + timedelta(hours=6))
    assert not oi.servable(day, end - timedelta(seconds=1))  # the day is not over yet
    assert not oi.servable(date(2024, 2, 29), NOW)  # no history
    assert oi.servable_days(Window(date(2024, 2, 1), date(2024, 3, 2)), NOW) == [day]
    (request,) = oi.requests(Window(date(2024, 2, 1), date(2024, 3, 2)), NOW)
    assert request.path == "/api/v2/public/get_book_summary_by_instrument"
    assert request.params == {"instrument_name": "BTC-PERPETUAL"}
    assert oi.requests(Window(date(2024, 2, 1), date(2024, 2, 28)), NOW) == []


def test_open_interest_snapshot_row_lands_on_the_day_it_closes():
    snap = to_ms(datetime(2024, 3, 2, 0, 30, 0, 123000, tzinfo=timezone.utc))
    body = envelope([{"instrument_name": "BTC-PERPETUAL", "open_interest": 1234567890, "mark_price": 61000.5,
                      "creation_timestamp": snap, "volume": 1.0, "funding_8h": 0.0001}])
    (row,) = deribit.OpenInterest().parse(body)
    assert row == {"instrument_name": "BTC-PERPETUAL", "ts": datetime(2024, 3, 2, 0, 30, 0, 123000),
                   "oi_usd": 1234567890.0, "mark_price": 61000.5}
    frame = pd.DataFrame([row, dict(row, ts=datetime(2024, 3, 2)), dict(row, ts=datetime(2024, 3, 2, 5, 59)),
                          dict(row, ts=datetime(2024, 3, 2, 6))])
    days = pd.to_datetime(deribit.OpenInterest().partition_times(frame)).dt.date
    assert list(days) == [date(2024, 3, 1)] * 3 + [date(2024, 3, 2)]  # same half-open rule as servable


def test_open_interest_falls_back_to_server_time_and_tolerates_strings():
    body = envelope([{"open_interest": "987654321.0", "mark_price": "60000"}])
    (row,) = deribit.OpenInterest().parse(body)
    assert row["ts"] == datetime(2024, 3, 2, 0, 30, 0, 1000) and row["oi_usd"] == 987654321.0
    assert row["instrument_name"] == "BTC-PERPETUAL"
    with pytest.raises(FeedParseError, match="missing field 'open_interest'"):
        deribit.OpenInterest().parse(envelope([{"mark_price": 1.0, "creation_timestamp": 1709339400000}]))
    with pytest.raises(FeedParseError, match="no 'creation_timestamp'"):
        deribit.OpenInterest().parse(b'{"result":[{"open_interest":1.0}]}')


def test_cli_prints_parsed_rows_as_csv(tmp_path):
    payload = tmp_path / "funding.json"
    payload.write_bytes(envelope([funding_row(1700002800000)]))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.deribit", "funding", str(payload)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "instrument_name,ts,interest_1h,interest_8h,index_price,prev_index_price"
    assert out[1] == "BTC-PERPETUAL,2023-11-14 23:00:00,1.23e-05,9.87e-05,37000.1,36990.2"


def test_funding_rows_must_be_hourly_and_inside_the_chunk_asked_for():
    eight_hourly = envelope([funding_row(1700006400000 + i * 8 * H) for i in range(3)])
    with pytest.raises(FeedParseError, match=r"\[deribit/funding\] funding rows are 8h apart \(2023-11-15 "
                                             r"00:00:00.000 and 2023-11-15 08:00:00.000\), not the 1h asked for"):
        deribit.Funding().parse(eight_hourly)
    with pytest.raises(FeedParseError, match="funding rows: 2023-11-15 00:30:00.000 is off the 1h grid"):
        deribit.Funding().parse(envelope([funding_row(1700006400000 + H // 2)]))
    dataset = deribit.Funding()
    window = Window(date(2024, 3, 1), date(2024, 3, 1))
    (request,) = dataset.requests(window, NOW)
    assert dataset.next_request(request, dataset.parse(envelope([funding_row(window.start_ms)])), window) is None
    early = dataset.parse(envelope([funding_row(window.start_ms - H)]))
    with pytest.raises(FeedParseError, match="funding row at 2024-02-29 23:00:00.000 lies outside the requested "
                                             "start_timestamp..end_timestamp"):
        dataset.next_request(request, early, window)

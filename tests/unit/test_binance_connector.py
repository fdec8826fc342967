"""Binance connector: request building, pagination, parsing of payloads shaped as sources.md says."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest

from orchestration.feeds import binance
from orchestration.feeds.base import Window, fetch, to_ms
from orchestration.feeds.http import FeedClient, FeedHttpError, FeedParseError, HttpResponse, RateLimiter

NOW = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)


def funding_row(ms: int, rate: str = "0.00010000") -> dict:
    return {"symbol": "BTCUSDT", "fundingTime": ms, "fundingRate": rate, "markPrice": "61234.50000000"}


class PagingFunding:
    """A minimal stand-in for /fapi/v1/fundingRate: ascending rows from startTime, at most `limit`."""

    def __init__(self, stamps: list[int]):
        self.stamps, self.calls = stamps, []

    def send(self, request, timeout):
        p = request.params
        self.calls.append(dict(p))
        start, end, limit = int(p["startTime"]), int(p["endTime"]), int(p["limit"])
        rows = [funding_row(t) for t in self.stamps if start <= t <= end][:limit]
        return HttpResponse(200, json.dumps(rows).encode())


def client(transport) -> FeedClient:
    return FeedClient(binance.PROVIDER, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)


def test_funding_parses_string_numbers_and_floors_plus_one_ms():
    body = json.dumps([funding_row(1609459200001, "0.00012345"),
                       {"symbol": "BTCUSDT", "fundingTime": 1609488000000, "fundingRate": "-0.00030000", "markPrice": ""}]).encode()
    rows = binance.Funding().parse(body)
    assert rows[0]["funding_time"] == datetime(2021, 1, 1, 0, 0, 0)
    assert rows[0]["funding_rate"] == pytest.approx(0.00012345)
    assert rows[0]["mark_price"] == pytest.approx(61234.5)
    assert rows[1]["funding_rate"] == pytest.approx(-0.0003) and rows[1]["mark_price"] is None


def test_empty_page_parses_to_no_rows():
    assert binance.Funding().parse(b"[]") == []
    assert binance.SpotKlines().parse(b"[]") == []


@pytest.mark.parametrize("body, expected", [
    (b"<html>502 Bad Gateway</html>", "not JSON"),
    (b'{"symbol": "BTCUSDT"}', "JSON list"),
    (json.dumps([{"symbol": "BTCUSDT", "fundingRate": "0.0001"}]).encode(), "missing field 'fundingTime'"),
    (json.dumps([funding_row(1609459200000, "abc")]).encode(), "unreadable value 'abc'"),
    (json.dumps([funding_row(1609459200000, "NaN")]).encode(), "not finite"),
])
def test_malformed_funding_payloads_name_provider_and_problem(body, expected):
    with pytest.raises(FeedParseError) as err:
        binance.Funding().parse(body)
    assert "[binance/funding]" in str(err.value) and expected in str(err.value)


def test_funding_pagination_covers_a_window_larger_than_one_page():
    window = Window(date(2021, 1, 1), date(2022, 12, 31))  # 730 days x 3 = 2190 rows = 3 pages
    stamps = [to_ms(window.start_dt) + i * 8 * 3600 * 1000 + (1 if i % 7 == 0 else 0) for i in range(2190)]
    transport = PagingFunding(stamps)
    pages = fetch(client(transport), binance.Funding(), window, NOW)
    rows = [r for _, page_rows in pages for r in page_rows]
    assert len(transport.calls) == 3
    assert len(rows) == 2190 and len({r["funding_time"] for r in rows}) == 2190
    assert all(call["endTime"] == str(window.end_ms - 1) for call in transport.calls)
    assert int(transport.calls[1]["startTime"]) > stamps[999]


def test_open_interest_plan_uses_archive_beyond_30_days_and_api_within():
    plan = binance.OpenInterest().requests(Window(date(2024, 1, 28), date(2024, 3, 1)), NOW)
    archive = [r for r in plan if r.url.startswith(binance.ARCHIVE)]
    api = [r for r in plan if r.url.startswith(binance.FAPI)]
    assert archive[0].url.endswith("BTCUSDT-metrics-2024-01-28.zip")
    assert len(api) == 1 and api[0].params["period"] == "1h"
    first_bucket = datetime.fromtimestamp(int(api[0].params["startTime"]) / 1000, tz=timezone.utc)
    assert first_bucket == datetime(2024, 2, 2, 23, tzinfo=timezone.utc)  # describes 2024-02-03 00:00
    assert first_bucket >= NOW - timedelta(days=30)  # the API's 30-day limit
    assert len(archive) == (date(2024, 2, 3) - date(2024, 1, 28)).days


def test_open_interest_api_rows():
    body = json.dumps([{"symbol": "BTCUSDT", "sumOpenInterest": "75712.44100000",
                        "sumOpenInterestValue": "4823391023.12", "timestamp": 1709251200000}]).encode()
    (row,) = binance.OpenInterest().parse(body)
    assert row["ts"] == datetime(2024, 3, 1) and row["period"] == "1h" and row["source"] == "api"
    assert row["sum_open_interest"] == pytest.approx(75712.441)


def metrics_zip(lines: list[str], name: str = "BTCUSDT-metrics-2021-03-01.csv") -> bytes:
    header = ("create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
              "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, "\n".join([header, *lines]) + "\n")
    return buffer.getvalue()


def test_open_interest_archive_drops_exact_repeats_and_rejects_conflicts():
    line = "2021-03-01 00:05:00,BTCUSDT,41000.5,2000000000.0,1.1,1.2,1.3,0.9"
    rows = binance.OpenInterest().parse(metrics_zip([line, line, line.replace("00:05", "00:10")]))
    assert [r["ts"] for r in rows] == [datetime(2021, 3, 1, 0, 5), datetime(2021, 3, 1, 0, 10)]
    assert rows[0]["period"] == "5m" and rows[0]["source"] == "archive"
    with pytest.raises(FeedParseError, match="conflicting rows"):
        binance.OpenInterest().parse(metrics_zip([line, line.replace("41000.5", "1.0")]))


def test_open_interest_archive_names_the_bad_line():
    good = "2021-03-01 00:05:00,BTCUSDT,41000.5,2000000000.0,1.1,1.2,1.3,0.9"
    with pytest.raises(FeedParseError, match="'sum_open_interest' on CSV line 3 has unreadable value 'n/a'"):
        binance.OpenInterest().parse(metrics_zip([good, good.replace("00:05", "00:10").replace("41000.5", "n/a")]))


def test_open_interest_archive_errors_are_clear():
    with pytest.raises(FeedParseError, match="not a readable zip"):
        binance.OpenInterest().parse(b"PK\x03\x04garbage")
    with pytest.raises(FeedParseError, match="lacks columns"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("x.csv", "time,oi\n1,2\n")
        binance.OpenInterest().parse(buffer.getvalue())


def test_missing_archive_day_is_a_clear_http_error():
    dataset = binance.OpenInterest()
    request = dataset.requests(Window(date(2023, 1, 1), date(2023, 1, 1)), NOW)[0]
    with pytest.raises(FeedHttpError, match="no metrics archive .*2023-01-01"):
        dataset.check(request, HttpResponse(404, b"<Error><Code>NoSuchKey</Code></Error>"))


def test_binance_error_object_is_reported_even_with_http_200():
    dataset = binance.Funding()
    request = dataset.requests(Window(date(2023, 1, 1), date(2023, 1, 1)), NOW)[0]
    with pytest.raises(FeedHttpError, match="-1121.*Invalid symbol"):
        dataset.check(request, HttpResponse(400, b'{"code":-1121,"msg":"Invalid symbol."}'))
    with pytest.raises(FeedHttpError, match="-1003"):
        dataset.check(request, HttpResponse(200, b'{"code":-1003,"msg":"Too many requests."}'))


def test_klines_rows_and_pagination_request():
    kline = [1709251200000, "61000.1", "61500.0", "60900.0", "61400.5", "1234.5", 1709254799999,
             "75500000.1", 54321, "600.1", "36700000.2", "0"]
    (row,) = binance.SpotKlines().parse(json.dumps([kline]).encode())
    assert row["open_time"] == datetime(2024, 3, 1) and row["close_time"] == datetime(2024, 3, 1, 0, 59, 59)
    assert row["close"] == pytest.approx(61400.5) and row["trades"] == 54321
    dataset = binance.SpotKlines()
    window = Window(date(2024, 1, 1), date(2024, 3, 1))
    first = dataset.requests(window, NOW)[0]
    assert first.params["interval"] == "1h" and first.params["limit"] == "1000"
    full_page = [dict(row, open_time=datetime(2024, 2, 11, 15))] * 1000
    follow = dataset.next_request(first, full_page, window)
    assert int(follow.params["startTime"]) == to_ms(datetime(2024, 2, 11, 15, tzinfo=timezone.utc)) + 1000
    assert dataset.next_request(first, full_page[:10], window) is None
    with pytest.raises(FeedParseError, match="array of >= 11"):
        dataset.parse(b"[[1, 2]]")


def test_cli_prints_parsed_rows_as_csv(tmp_path):
    payload = tmp_path / "funding.json"
    payload.write_text(json.dumps([funding_row(1609459200001)]))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.binance", "funding", str(payload)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "symbol,funding_time,funding_rate,mark_price"
    assert out[1] == "BTCUSDT,2021-01-01 00:00:00,0.0001,61234.5"
    bad = subprocess.run([sys.executable, "-m", "orchestration.feeds.binance", "funding", __file__],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "[binance/funding]" in bad.stderr


def _kline(open_ms: int, span_ms: int) -> list:
    return [open_ms, "42283.58", "42298.62", "42261.02", "42298.61", "35.92724", open_ms + span_ms - 1,
            "1519032.7", 1378, "24.8", "1048763.8", "0"]


def test_one_minute_klines_are_refused_as_not_hourly(tmp_path):
    """A real-shaped 1-minute payload (open and close 59.999 s apart) never lands as rows labelled 1h."""
    import json

    from orchestration.feeds.base import cli
    from orchestration.feeds.http import FeedParseError

    dataset = binance.DATASETS["spot_klines"]
    minutes = json.dumps([_kline(1704067200000 + i * 60_000, 60_000) for i in range(3)]).encode()
    with pytest.raises(FeedParseError, match=r"is 1m long .* not the 1h asked for"):
        dataset.parse(minutes)
    path = tmp_path / "klines_1m.json"
    path.write_bytes(minutes)
    assert cli(binance.DATASETS, ["spot_klines", str(path)]) == 1
    hours = json.dumps([_kline(1704067200000 + i * 3_600_000, 3_600_000) for i in range(3)]).encode()
    assert [row["interval"] for row in dataset.parse(hours)] == ["1h"] * 3
    off_grid = json.dumps([_kline(1704067200000 + 60_000, 3_600_000)]).encode()
    with pytest.raises(FeedParseError, match="off the 1h grid"):
        dataset.parse(off_grid)


# -- what was asked for, checked against what the payload shows ----------------------------------------------
OPEN_MS = 1709251200000  # 2024-03-01 00:00 UTC


def real_kline(open_ms: int, span_ms: int) -> list:
    """A kline as Binance serves it: 12 fields, prices and volumes as text, close = open + interval - 1 ms."""
    return [open_ms, "61130.98000000", "61160.00000000", "61119.02000000", "61146.01000000", "21.47338000",
            open_ms + span_ms - 1, "1312831.64390930", 1489, "11.25617000", "688224.35016600", "0"]


def test_a_saved_one_minute_payload_is_refused_by_python_dash_m_and_an_hourly_one_prints(tmp_path):
    minutes = tmp_path / "btcusdt_1m.json"
    minutes.write_text(json.dumps([real_kline(OPEN_MS + i * 60_000, 60_000) for i in range(5)]))
    done = subprocess.run([sys.executable, "-m", "orchestration.feeds.binance", "spot_klines", str(minutes)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line == ("error: [binance/spot_klines] the bar in kline 0 is 1m long (open 1709251200000 = 2024-03-01 "
                    "00:00:00.000, close 1709251259999 = 2024-03-01 00:00:59.999): bars are 1m apart, not the 1h "
                    "asked for")
    with pytest.raises(FeedParseError, match="bars are 1m apart, not the 1h asked for"):
        binance.SpotKlines().parse(minutes.read_bytes())
    hours = tmp_path / "btcusdt_1h.json"
    hours.write_text(json.dumps([real_kline(OPEN_MS + i * 3_600_000, 3_600_000) for i in range(3)]))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.binance", "spot_klines", str(hours)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == 4 and out[1].startswith("BTCUSDT,1h,2024-03-01 00:00:00,2024-03-01 00:59:59,61130.98,")


@pytest.mark.parametrize("opens, expected", [
    ([OPEN_MS, OPEN_MS], "opens at 2024-03-01 00:00:00.000, not after the previous bar's close "
                         "(2024-03-01 00:59:59.999): bars repeated"),
    ([OPEN_MS + 3_600_000, OPEN_MS], "bars repeated, overlapping or out of order"),
])
def test_klines_repeated_or_out_of_order_are_refused(opens, expected):
    with pytest.raises(FeedParseError, match=re.escape(expected)):
        binance.SpotKlines().parse(json.dumps([real_kline(t, 3_600_000) for t in opens]).encode())


def test_klines_may_skip_a_bar_binance_did_not_trade_but_not_close_before_they_open():
    rows = binance.SpotKlines().parse(json.dumps([real_kline(OPEN_MS, 3_600_000),
                                                  real_kline(OPEN_MS + 3 * 3_600_000, 3_600_000)]).encode())
    assert [r["open_time"] for r in rows] == [datetime(2024, 3, 1, 0), datetime(2024, 3, 1, 3)]
    with pytest.raises(FeedParseError, match="closes .* before it opens"):
        binance.SpotKlines().parse(json.dumps([real_kline(OPEN_MS, -5)]).encode())


class IgnoresTheRange:
    """A klines endpoint answering every request with the same page, whatever its startTime and endTime."""

    def send(self, request, timeout):
        return HttpResponse(200, json.dumps([real_kline(OPEN_MS, 3_600_000)]).encode())  # 1 March 00:00


def test_klines_outside_the_requested_start_and_end_are_refused():
    with pytest.raises(FeedParseError, match="kline at 2024-03-01 00:00:00.000 lies outside the requested "
                                             "startTime..endTime"):
        fetch(client(IgnoresTheRange()), binance.SpotKlines(), Window(date(2024, 3, 2), date(2024, 3, 2)), NOW)


def test_funding_rows_outside_the_requested_range_are_refused_and_plus_one_ms_is_not():
    dataset = binance.Funding()
    window = Window(date(2021, 1, 1), date(2021, 1, 1))
    request = dataset.requests(window, NOW)[0]
    assert dataset.next_request(request, dataset.parse(json.dumps([funding_row(1609459200001)]).encode()),
                                window) is None
    late = dataset.parse(json.dumps([funding_row(1609545600000)]).encode())  # 2021-01-02 00:00
    with pytest.raises(FeedParseError, match="funding row at 2021-01-02 00:00:00.000 lies outside the requested "
                                             "startTime..endTime"):
        dataset.next_request(request, late, window)


def oi_api_row(ms: int) -> dict:
    return {"symbol": "BTCUSDT", "sumOpenInterest": "75712.441", "sumOpenInterestValue": "4823391023.12",
            "timestamp": ms}


def test_open_interest_api_pages_must_be_hourly_buckets_inside_the_request():
    dataset = binance.OpenInterest()
    five_minutes = json.dumps([oi_api_row(OPEN_MS + i * 300_000) for i in range(3)]).encode()
    with pytest.raises(FeedParseError, match=r"open-interest buckets are 5m apart \(2024-03-01 00:00:00.000 and "
                                             r"2024-03-01 00:05:00.000\), not the 1h asked for"):
        dataset.parse(five_minutes)
    with pytest.raises(FeedParseError, match="off the 1h grid"):
        dataset.parse(json.dumps([oi_api_row(OPEN_MS + 300_000)]).encode())
    window = Window(date(2024, 2, 20), date(2024, 2, 20))
    (request,) = dataset.requests(window, NOW)
    rows = dataset.parse(json.dumps([oi_api_row(OPEN_MS)]).encode())
    with pytest.raises(FeedParseError, match="open-interest bucket at 2024-03-01 00:00:00.000 lies outside"):
        dataset.next_request(request, rows, window)


def test_a_metrics_archive_must_be_the_symbol_and_day_it_was_asked_for():
    line = "2021-03-01 00:05:00,BTCUSDT,41000.5,2000000000.0,1.1,1.2,1.3,0.9"
    with pytest.raises(FeedParseError, match="member 'ETHUSDT-metrics-2021-03-01.csv' is for symbol 'ETHUSDT'"):
        binance.OpenInterest().parse(metrics_zip([line], name="ETHUSDT-metrics-2021-03-01.csv"))
    with pytest.raises(FeedParseError, match="archive row at 2021-03-01 00:05:00 lies outside 2021-03-02, the day its "
                                             "member 'BTCUSDT-metrics-2021-03-02.csv' names"):
        binance.OpenInterest().parse(metrics_zip([line], name="BTCUSDT-metrics-2021-03-02.csv"))
    next_midnight = line.replace("2021-03-01 00:05:00", "2021-03-02 00:00:00")
    rows = binance.OpenInterest().parse(metrics_zip([line, next_midnight]))  # a file ends at the next midnight
    dataset = binance.OpenInterest()
    request = dataset.requests(Window(date(2021, 3, 2), date(2021, 3, 2)), NOW)[0]
    with pytest.raises(FeedParseError, match="lies outside 2021-03-02, the day the request's URL names"):
        dataset.next_request(request, rows, Window(date(2021, 3, 2), date(2021, 3, 2)))

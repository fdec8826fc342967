"""CoinGlass v4 connector: envelopes and error codes (HTTP and body), key/plan and rate-limit answers through the
FeedClient, forward paging with a refused stuck cursor, strict parsing (string numbers yes, bools and seconds
no, HTML named), the heatmap snapshot, and the debugging CLI."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone

import pandas as pd
import pytest

from orchestration.feeds import coinglass as cg
from orchestration.feeds.base import Window, fetch
from orchestration.feeds.http import FeedClient, FeedHttpError, FeedParseError, HttpResponse, RateLimiter
from orchestration.sample.transport import SampleTransport

NOW = datetime(2025, 9, 21, 0, 30, tzinfo=timezone.utc)
D = 86_400_000
MAR_1 = 1709251200000  # 2024-03-01 00:00 UTC
OI, FUNDING, LIQ, HEAT = (cg.DATASETS[n] for n in ("oi_aggregated", "funding_oi_weighted", "liquidations",
                                                   "liquidation_heatmap"))


def envelope(data, code="0", msg="success") -> bytes:
    return json.dumps({"code": code, "msg": msg, "data": data}).encode()


def bar(ms: int, o="1", h="2", lo="0.5", c="1.5") -> dict:
    return {"time": ms, "open": o, "high": h, "low": lo, "close": c}


def client(transport, sleeps=None, **kw) -> FeedClient:
    return FeedClient(cg.PROVIDER, transport, rate_limiter=RateLimiter(0),
                      sleep=(sleeps.append if sleeps is not None else (lambda s: None)), **kw)


def heatmap(**over) -> dict:
    data = {"y_axis": [60000.0, 61000.0, "62000.5", 63000.0],
            "liquidation_leverage_data": [[0, 0, 1000.5], [1, 0, "500"], [1, 3, 250.25], [0, 1, 0]],
            "price_candlesticks": [[1722676500, "61486", "61596.4", "61434.4", "61539.9", "63753192.1"],
                                   [1722676800, "61539.9", "61610.0", "61480.0", "61590.5", "42311820.8"]],
            "update_time": 1722677000123}
    data.update(over)
    return data


class Scripted:
    """Answers each request with the next scripted response and remembers what was sent."""

    def __init__(self, *responses: HttpResponse):
        self.responses, self.sent = list(responses), []

    def send(self, request, timeout):
        self.sent.append(request)
        return self.responses.pop(0)


class DailyBars:
    """A stand-in for a history endpoint: daily bars in [start_time, end_time], the first ``limit`` of them."""

    def __init__(self, first: date, last: date, ignore_cursor: bool = False):
        start = int(datetime(first.year, first.month, first.day, tzinfo=timezone.utc).timestamp() * 1000)
        self.stamps = [start + i * D for i in range((last - first).days + 1)]
        self.ignore_cursor, self.calls = ignore_cursor, []

    def send(self, request, timeout):
        p = request.params
        self.calls.append(dict(p))
        lo = int(p["start_time"]) if not self.ignore_cursor or not self.calls[1:] else int(self.calls[0]["start_time"])
        picked = [t for t in self.stamps if lo <= t <= int(p["end_time"])][: int(p["limit"])]
        return HttpResponse(200, envelope([bar(t, "5.0e10", "5.1e10", "4.9e10", "5.05e10") for t in picked]))


# -- parsing ----------------------------------------------------------------------------------------------------
def test_ohlc_rows_accept_numbers_and_numeric_strings_in_the_contract_order():
    rows = OI.parse(envelope([bar(MAR_1, "52345678901.5", 52999999999, "5.1e10", 52500000000.25),
                              {**bar(MAR_1 + D), "symbol": "BTC"}]))
    assert rows[0] == {"symbol": "BTC", "time": datetime(2024, 3, 1), "interval": "1d", "open_usd": 52345678901.5,
                       "high_usd": 52999999999.0, "low_usd": 5.1e10, "close_usd": 52500000000.25}
    assert list(rows[0]) == list(OI.columns) and rows[1]["time"] == datetime(2024, 3, 2)
    funding = FUNDING.parse(envelope([bar(MAR_1, "0.004603", "0.009388", "-0.005063", "0.01")]))
    assert funding[0]["low_pct"] == -0.005063 and list(funding[0]) == list(FUNDING.columns)


def test_liquidation_rows():
    rows = LIQ.parse(envelope([{"time": MAR_1, "aggregated_long_liquidation_usd": 5916885.14234,
                                "aggregated_short_liquidation_usd": "12969583.87632"}]))
    assert rows == [{"symbol": "BTC", "exchange_list": "Binance,OKX,Bybit,Deribit,dYdX", "time": datetime(2024, 3, 1),
                     "interval": "1d", "long_usd": 5916885.14234, "short_usd": 12969583.87632}]
    assert list(rows[0]) == list(LIQ.columns)


def test_the_raw_column_contracts():
    assert OI.columns == {"symbol": "VARCHAR", "time": "TIMESTAMP", "interval": "VARCHAR", "open_usd": "DOUBLE",
                          "high_usd": "DOUBLE", "low_usd": "DOUBLE", "close_usd": "DOUBLE"}
    assert FUNDING.columns == {"symbol": "VARCHAR", "time": "TIMESTAMP", "interval": "VARCHAR", "open_pct": "DOUBLE",
                               "high_pct": "DOUBLE", "low_pct": "DOUBLE", "close_pct": "DOUBLE"}
    assert LIQ.columns == {"symbol": "VARCHAR", "exchange_list": "VARCHAR", "time": "TIMESTAMP",
                           "interval": "VARCHAR", "long_usd": "DOUBLE", "short_usd": "DOUBLE"}
    assert HEAT.columns == {"symbol": "VARCHAR", "model": "VARCHAR", "range": "VARCHAR", "snapshot_ts": "TIMESTAMP",
                            "price_usd": "DOUBLE", "liquidation_usd": "DOUBLE", "last_price_usd": "DOUBLE"}
    assert [d.time_column for d in (OI, FUNDING, LIQ, HEAT)] == ["time", "time", "time", "snapshot_ts"]


def test_empty_histories_parse_to_no_rows():
    for dataset in (OI, FUNDING, LIQ):
        assert dataset.parse(envelope([])) == []


@pytest.mark.parametrize("body, expected", [
    (b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>cloudflare</body></html>",
     "HTML page, not JSON (Cloudflare challenge?): 'Just a moment...'"),
    (b"upstream connect error", "not JSON"),
    (b"[]", "expected a CoinGlass envelope"),
    (envelope(None), "data as a JSON list"),
    (envelope({"list": []}), "data as a JSON list"),
    (json.dumps({"code": "0", "msg": "success"}).encode(), "no 'data'"),
    (envelope([], "400", "interval is invalid"), "CoinGlass error 400: 'interval is invalid'"),
    (json.dumps({"code": False, "msg": "?", "data": []}).encode(), "CoinGlass error False"),
    (envelope([bar(MAR_1, o=True)]), "field 'open' in data[0] has unreadable value True"),
    (envelope([bar(MAR_1, c=False)]), "field 'close' in data[0] has unreadable value False"),
    (envelope([bar(True)]), "field 'time' in data[0] has unreadable value True"),
    (envelope([bar(MAR_1 // 1000)]), "not epoch milliseconds in 2009..2100 (it reads as seconds: "
                                     "2024-03-01 00:00:00 UTC)"),
    (envelope([bar(MAR_1 * 1000)]), "not epoch milliseconds in 2009..2100"),
    (envelope([bar(MAR_1 + 0.5)]), "field 'time' in data[0] has unreadable value 1709251200000.5"),
    (envelope([bar(MAR_1 + 3_600_000)]), "is not 00:00 UTC: not a daily bar"),
    (envelope([bar(MAR_1, h="1_000")]), "field 'high' in data[0] has unreadable value '1_000'"),
    (envelope([bar(MAR_1, h="NaN")]), "unreadable value 'NaN'"),
    (b'{"code":"0","msg":"success","data":[{"time":1709251200000,"open":NaN,"high":1,"low":1,"close":1}]}',
     "not finite"),
    (envelope([{"time": MAR_1, "open": "1", "high": "1", "low": "1"}]), "missing field 'close' in data[0]"),
    (envelope([{**bar(MAR_1), "symbol": "ETH"}]), "symbol 'ETH' in data[0], not 'BTC'"),
    (envelope([bar(MAR_1), bar(MAR_1)]), "duplicate bar 2024-03-01 00:00:00 in data[1]"),
    (envelope([[MAR_1, 1, 2, 0.5, 1.5]]), "expected an object in data[0]"),
])
def test_malformed_history_payloads_name_provider_dataset_and_problem(body, expected):
    with pytest.raises(FeedParseError) as err:
        OI.parse(body)
    assert "[coinglass/oi_aggregated]" in str(err.value) and expected in str(err.value)


def test_a_bool_is_never_a_liquidation_amount():
    with pytest.raises(FeedParseError, match="aggregated_long_liquidation_usd.*unreadable value True"):
        LIQ.parse(envelope([{"time": MAR_1, "aggregated_long_liquidation_usd": True,
                             "aggregated_short_liquidation_usd": 1.0}]))


# -- errors: HTTP status and the code in the body ----------------------------------------------------------------
def test_check_reads_the_status_and_the_code():
    request = OI.requests(Window(date(2024, 3, 1), date(2024, 3, 1)), NOW)[0]
    OI.check(request, HttpResponse(200, envelope([])))  # fine
    OI.check(request, HttpResponse(200, b"<html>not an envelope</html>"))  # parse() names it
    with pytest.raises(FeedHttpError, match=r"HTTP 200 on /api/futures/open-interest/aggregated-history: "
                                            r"CoinGlass error 400: 'interval is invalid'$"):
        OI.check(request, HttpResponse(200, envelope([], "400", "interval is invalid")))
    with pytest.raises(FeedHttpError, match="CoinGlass error"):
        OI.check(request, HttpResponse(200, json.dumps({"code": 500, "msg": "server busy"}).encode()))
    with pytest.raises(FeedHttpError, match=r"HTTP 502 on .*: an HTML page, not JSON: '502 Bad Gateway'$"):
        OI.check(request, HttpResponse(502, b"<html><head><title>502 Bad Gateway</title></head></html>"))
    with pytest.raises(FeedHttpError, match=r"Cloudflare challenge\?\): 'Attention Required! \| Cloudflare'"):
        OI.check(request, HttpResponse(403, b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare"
                                            b"</title></head></html>"))


@pytest.mark.parametrize("response", [
    HttpResponse(401, envelope(None, "401", "API key missing")),
    HttpResponse(200, json.dumps({"code": "401", "msg": "Upgrade plan"}).encode()),
    HttpResponse(401, b"Unauthorized"),
])
def test_401_is_named_as_a_key_or_plan_problem(response):
    request = HEAT.requests(Window(date(2025, 9, 20), date(2025, 9, 20)), NOW)[0]
    with pytest.raises(FeedHttpError) as err:
        HEAT.check(request, response)
    text = str(err.value)
    assert "[coinglass/liquidation_heatmap]" in text
    assert "API key missing/invalid or plan does not include this endpoint/interval" in text
    assert ("API key missing" in text or "Upgrade plan" in text or "HTTP 401" in text)


def test_401_through_the_client_is_not_retried_and_the_key_never_shows(monkeypatch):
    monkeypatch.setenv("COINGLASS_API_KEY", "s3cret-key")
    transport = Scripted(HttpResponse(401, envelope(None, "401", "Upgrade plan")))
    feed = client(transport)
    with pytest.raises(FeedHttpError, match="plan does not include") as err:
        fetch(feed, OI, Window(date(2025, 9, 1), date(2025, 9, 2)), NOW)
    assert len(transport.sent) == 1 and transport.sent[0].headers == {"CG-API-KEY": "s3cret-key"}
    assert "s3cret-key" not in str(err.value)
    shown = feed.display_url(transport.sent[0])
    assert "s3cret-key" not in shown and "start_time=" in shown


def test_429_is_retried_honouring_retry_after_and_a_code_429_body_too():
    sleeps: list[float] = []
    good = HttpResponse(200, envelope([bar(MAR_1, "5e10", "5e10", "5e10", "5e10")]))
    transport = Scripted(HttpResponse(429, envelope(None, "429", "Too Many Requests"), {"Retry-After": "7"}),
                         HttpResponse(200, json.dumps({"code": "429", "msg": "Too Many Requests"}).encode(),
                                      {"Retry-After": "3"}),
                         good)
    pages = fetch(client(transport, sleeps), OI, Window(date(2024, 3, 1), date(2024, 3, 1)), NOW)
    assert sleeps == [7.0, 3.0] and len(transport.sent) == 3
    assert [r["time"] for _, rows in pages for r in rows] == [datetime(2024, 3, 1)]


def test_429_until_the_retries_run_out_is_an_error():
    limited = HttpResponse(429, envelope(None, "429", "Too Many Requests"), {"Retry-After": "1"})
    transport = Scripted(*[limited] * 3)
    with pytest.raises(FeedHttpError, match="gave up after 3 attempts.*HTTP 429"):
        fetch(client(transport, max_retries=2), OI, Window(date(2024, 3, 1), date(2024, 3, 1)), NOW)


# -- planning and paging ---------------------------------------------------------------------------------------
def test_history_plan_starts_at_coinglass_history_and_asks_daily_bars():
    window = Window(date(2020, 1, 1), date(2025, 9, 30))
    (request,) = LIQ.requests(window, NOW)
    assert request.url == "https://open-api-v4.coinglass.com/api/futures/liquidation/aggregated-history"
    assert request.params == {"symbol": "BTC", "interval": "1d", "exchange_list": "Binance,OKX,Bybit,Deribit,dYdX",
                              "start_time": "1582761600000",  # 2020-02-27
                              "end_time": str(int(datetime(2025, 9, 22, tzinfo=timezone.utc).timestamp() * 1000) - 1),
                              "limit": "1000"}
    assert OI.requests(window, NOW)[0].params["unit"] == "usd"
    assert "unit" not in FUNDING.requests(window, NOW)[0].params
    assert not OI.servable(date(2020, 2, 26), NOW) and OI.servable(date(2020, 2, 27), NOW)
    assert OI.servable(date(2025, 9, 21), NOW) and not OI.servable(date(2025, 9, 22), NOW)
    assert OI.requests(Window(date(2019, 1, 1), date(2020, 2, 26)), NOW) == []  # unavailable, not failed


def test_pages_walk_forward_from_the_window_start():
    transport = DailyBars(date(2023, 1, 1), date(2024, 12, 31))
    dataset = cg.OpenInterestAggregated()
    dataset.limit = 100
    window = Window(date(2023, 3, 1), date(2023, 11, 30))  # 275 days
    pages = fetch(client(transport), dataset, window, NOW)
    days = [r["time"].date() for _, rows in pages for r in rows]
    assert days == window.days() and len(transport.calls) == 3
    starts = [int(c["start_time"]) for c in transport.calls]
    assert starts[1] == starts[0] + 100 * D and starts[2] == starts[0] + 200 * D  # one bar after the last one


def test_a_history_ending_early_stops_on_the_empty_page():
    transport = DailyBars(date(2023, 1, 1), date(2023, 3, 10))
    pages = fetch(client(transport), cg.FundingOiWeighted(), Window(date(2023, 3, 1), date(2023, 3, 20)), NOW)
    assert [len(rows) for _, rows in pages] == [10, 0] and len(transport.calls) == 2


def test_a_page_that_does_not_advance_is_refused():
    transport = DailyBars(date(2023, 1, 1), date(2024, 12, 31), ignore_cursor=True)
    dataset = cg.OpenInterestAggregated()
    dataset.limit = 50
    with pytest.raises(FeedParseError, match="before its start_time.*ignored the cursor; the page does not advance"):
        fetch(client(transport), dataset, Window(date(2023, 3, 1), date(2023, 11, 30)), NOW)
    assert len(transport.calls) == 2


def test_next_request_stops_at_the_end_and_on_empty_pages():
    window = Window(date(2024, 3, 1), date(2024, 3, 2))
    request = OI.requests(window, NOW)[0]
    assert OI.next_request(request, [], window) is None
    rows = OI.parse(envelope([bar(MAR_1), bar(MAR_1 + D)]))
    assert OI.next_request(request, rows, window) is None
    following = OI.next_request(request, rows[:1], window)
    assert following.params["start_time"] == str(MAR_1 + D)
    assert following.params["end_time"] == request.params["end_time"]


# -- heatmap ---------------------------------------------------------------------------------------------------
def test_heatmap_rows_sum_over_time_per_price_level():
    rows = HEAT.parse(envelope(heatmap()))
    snapshot = datetime(2024, 8, 3, 9, 23, 20, 123000)
    assert rows == [
        {"symbol": "BTC", "model": "model2", "range": "3d", "snapshot_ts": snapshot, "price_usd": 60000.0,
         "liquidation_usd": 1500.5, "last_price_usd": 61590.5},
        {"symbol": "BTC", "model": "model2", "range": "3d", "snapshot_ts": snapshot, "price_usd": 63000.0,
         "liquidation_usd": 250.25, "last_price_usd": 61590.5},
    ]  # the zero level (61000) is dropped
    assert list(rows[0]) == list(HEAT.columns)


@pytest.mark.parametrize("update_time, expected", [
    (1722677000, datetime(2024, 8, 3, 9, 23, 20)),  # seconds
    ("1722677000123", datetime(2024, 8, 3, 9, 23, 20, 123000)),  # ms as a string
])
def test_heatmap_update_time_in_ms_or_seconds(update_time, expected):
    assert HEAT.parse(envelope(heatmap(update_time=update_time)))[0]["snapshot_ts"] == expected


@pytest.mark.parametrize("data, expected", [
    (heatmap(update_time=17226770001), "neither epoch seconds nor milliseconds"),
    (heatmap(update_time=1722677000.5), "unreadable value 1722677000.5"),
    (heatmap(update_time=None), "missing field 'update_time' in data"),
    (heatmap(y_axis=[60000, 0, 1, 2]), "non-positive price"),
    (heatmap(y_axis=[60000, 60000, 1, 2]), "repeats a price level"),
    (heatmap(y_axis=[60000, True, 1, 2]), "field 'y' in y_axis[1] has unreadable value True"),
    (heatmap(liquidation_leverage_data=[[0, 4, 1.0]]), "y index 4 in liquidation_leverage_data[0] outside the 4"),
    (heatmap(liquidation_leverage_data=[[2, 0, 1.0]]), "x index 2 in liquidation_leverage_data[0] outside the 2"),
    (heatmap(liquidation_leverage_data=[[0, 0.5, 1.0]]), "field 'y' in liquidation_leverage_data[0]"),
    (heatmap(liquidation_leverage_data=[[0, 0, -1.0]]), "negative liquidation amount"),
    (heatmap(liquidation_leverage_data=[[0, 0, True]]), "field 'usd' in liquidation_leverage_data[0]"),
    (heatmap(liquidation_leverage_data=[[0, 0]]), "expected [x, y, usd] in liquidation_leverage_data[0]"),
    (heatmap(price_candlesticks=[]), "price_candlesticks is empty"),
    (heatmap(price_candlesticks=[[1722676800, "1", "1", "1", "2"], [1722676500, "1", "1", "1", "3"]]),
     "earlier than the one before it"),
    (heatmap(price_candlesticks=[[1722676800, "1", "1"]]), "price_candlesticks[0] should be [t, open"),
    (heatmap(symbol="ETH"), "symbol 'ETH' in data"),
    ([], "expected data as an object"),
])
def test_malformed_heatmaps(data, expected):
    with pytest.raises(FeedParseError) as err:
        HEAT.parse(envelope(data))
    assert "[coinglass/liquidation_heatmap]" in str(err.value) and expected in str(err.value)


def test_heatmap_is_a_now_snapshot_landing_the_day_before():
    day = date(2025, 9, 20)
    assert HEAT.servable(day, NOW) and not HEAT.servable(date(2025, 9, 19), NOW)
    assert not HEAT.servable(day, datetime(2025, 9, 21, 6, 0, tzinfo=timezone.utc))
    assert not HEAT.servable(day, datetime(2025, 9, 20, 23, 59, tzinfo=timezone.utc))
    (request,) = HEAT.requests(Window(date(2025, 9, 1), date(2025, 9, 20)), NOW)
    assert request.url.endswith("/api/futures/liquidation/aggregated-heatmap/model2")
    assert request.params == {"symbol": "BTC", "range": "3d"}
    assert HEAT.requests(Window(date(2025, 9, 1), date(2025, 9, 19)), NOW) == []
    frame = pd.DataFrame({"snapshot_ts": [datetime(2025, 9, 21, 0, 30), datetime(2025, 9, 21, 5, 59)]})
    assert list(HEAT.partition_times(frame).dt.date) == [day, day]


# -- through the sample world ----------------------------------------------------------------------------------
def test_a_long_backfill_through_the_sample_world_pages_and_covers_every_day():
    transport = SampleTransport(now=NOW)
    window = Window(date(2019, 6, 1), date(2025, 9, 20))
    pages = fetch(client(transport), OI, window, NOW)
    days = [r["time"].date() for _, rows in pages for r in rows]
    assert len(pages) == 3  # 2033 daily bars at <= 1000 a page
    assert days == [d for d in window.days() if d >= date(2020, 2, 27)]
    assert all(1e9 < r["close_usd"] < 5e11 for _, rows in pages for r in rows)


def test_the_heatmap_through_the_sample_world():
    transport = SampleTransport(now=NOW)
    (page, rows), = fetch(client(transport), HEAT, Window(date(2025, 9, 20), date(2025, 9, 20)), NOW)
    assert len(rows) > 50 and {r["snapshot_ts"] for r in rows} == {datetime(2025, 9, 21, 0, 30)}
    last = rows[0]["last_price_usd"]
    assert all(0.5 * last < r["price_usd"] < 1.5 * last and r["liquidation_usd"] > 0 for r in rows)
    assert page.request.headers == {}  # sample mode sends no key, and the lens does not ask for one


# -- command line ------------------------------------------------------------------------------------------------
def test_cli_prints_parsed_rows_as_csv(tmp_path):
    payload = tmp_path / "oi.json"
    payload.write_bytes(envelope([bar(MAR_1, "5.0e10", "5.2e10", "4.9e10", "51000000000.5")]))
    run = [sys.executable, "-m", "orchestration.feeds.coinglass"]
    out = subprocess.run(run + ["oi_aggregated", str(payload)], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["symbol,time,interval,open_usd,high_usd,low_usd,close_usd",
                                       "BTC,2024-03-01 00:00:00,1d,50000000000.0,52000000000.0,49000000000.0,"
                                       "51000000000.5"]
    payload.write_bytes(envelope(heatmap()))
    out = subprocess.run(run + ["liquidation_heatmap", str(payload)], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[1] == "BTC,model2,3d,2024-08-03 09:23:20.123000,60000.0,1500.5,61590.5"
    payload.write_bytes(b"<html><head><title>Just a moment...</title></head></html>")
    bad = subprocess.run(run + ["funding_oi_weighted", str(payload)], capture_output=True, text=True)
    assert bad.returncode == 1 and "[coinglass/funding_oi_weighted]" in bad.stderr and "HTML page" in bad.stderr
    usage = subprocess.run(run + ["nope", str(payload)], capture_output=True, text=True)
    assert usage.returncode == 2
    assert "oi_aggregated|funding_oi_weighted|liquidations|liquidation_heatmap" in usage.stderr


def test_a_bar_after_the_requested_end_time_is_refused():
    window = Window(date(2024, 3, 1), date(2024, 3, 2))
    request = OI.requests(window, NOW)[0]
    rows = OI.parse(envelope([bar(MAR_1), bar(MAR_1 + 5 * D)]))
    with pytest.raises(FeedParseError, match="bar at 2024-03-06 00:00:00.000 lies outside the requested "
                                             "start_time..end_time"):
        OI.next_request(request, rows, window)

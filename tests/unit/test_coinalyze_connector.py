"""Coinalyze connector: per-venue symbols, chunked [from, to] windows in UNIX seconds, strict parsing of payloads
shaped as sources.md says, error bodies surfaced, the shared client's Retry-After handling, the CLI."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from orchestration.feeds import coinalyze as cz
from orchestration.feeds.base import Window, fetch
from orchestration.feeds.http import FeedClient, FeedHttpError, FeedParseError, HttpResponse, RateLimiter
from orchestration.sample.transport import SampleTransport

NOW = datetime(2025, 9, 21, 0, 30, tzinfo=timezone.utc)
T = 1_709_251_200  # 2024-03-01 00:00 UTC
D = 86_400


def payload(*entries) -> bytes:
    return json.dumps(list(entries)).encode()


def bar(t=T, o="5.0e9", h="5.2e9", l="4.9e9", c="5.1e9") -> dict:
    return {"t": t, "o": o, "h": h, "l": l, "c": c}


def entry(symbol="BTCUSDT_PERP.A", *bars) -> dict:
    return {"symbol": symbol, "history": list(bars)}


def client(transport, sleep=lambda s: None) -> FeedClient:
    return FeedClient(cz.PROVIDER, transport, rate_limiter=RateLimiter(0), sleep=sleep)


class Recorder:
    """Answers each request with the next canned response and records what was asked."""

    def __init__(self, *responses: HttpResponse):
        self.responses, self.requests = list(responses), []

    def send(self, request, timeout):
        self.requests.append(request)
        return self.responses.pop(0)


# -- the provider ---------------------------------------------------------------------------------------------
def test_provider_spec_and_symbols():
    assert cz.PROVIDER.name == "coinalyze" and cz.PROVIDER.requests_per_second == pytest.approx(40 / 60)
    assert (cz.PROVIDER.api_key_env, cz.PROVIDER.api_key_header) == ("COINALYZE_API_KEY", "api_key")
    assert cz.VENUE_SYMBOLS == {"binance": "BTCUSDT_PERP.A", "bybit": "BTCUSDT.6", "okx": "BTCUSDT_PERP.3",
                                "deribit": "BTCUSD_PERP.2", "dydx": "BTC-USD_PERP.8", "hyperliquid": "BTCUSD_PERP.H"}
    assert set(cz.DATASETS) == {"open_interest", "funding", "liquidations"}


def test_column_contracts_are_unchanged():
    ohlc = {"symbol": "VARCHAR", "venue": "VARCHAR", "t": "TIMESTAMP", "interval": "VARCHAR"}
    assert cz.OpenInterest.columns == {**ohlc, "open_usd": "DOUBLE", "high_usd": "DOUBLE", "low_usd": "DOUBLE",
                                       "close_usd": "DOUBLE"}
    pct = {**ohlc, "open_pct": "DOUBLE", "high_pct": "DOUBLE", "low_pct": "DOUBLE", "close_pct": "DOUBLE"}
    assert cz.Funding.columns == pct
    assert cz.Liquidations.columns == {**ohlc, "long_usd": "DOUBLE", "short_usd": "DOUBLE"}
    assert all(d.time_column == "t" for d in cz.DATASETS.values())


def test_the_key_goes_in_the_api_key_header_and_never_in_the_stored_url(monkeypatch):
    monkeypatch.setenv("COINALYZE_API_KEY", "s3cret")
    transport = Recorder(HttpResponse(200, payload()))
    c = client(transport)
    request = cz.Funding().requests(Window(date(2024, 3, 1), date(2024, 3, 1)), NOW)[0]
    c.send(request)
    assert transport.requests[0].headers == {"api_key": "s3cret"}
    assert "s3cret" not in c.display_url(request) and "api_key" not in transport.requests[0].params


# -- parsing ---------------------------------------------------------------------------------------------------
def test_open_interest_parses_numbers_and_numeric_strings_per_venue():
    body = payload(entry("BTCUSDT_PERP.A", bar(T, "5.0e9", 5.2e9, "4.9e9", 5100000000)),
                   entry("BTC-USD_PERP.8", bar(T + D, o=1, h="2", l=0.5, c="1.5")))
    rows = cz.OpenInterest().parse(body)
    assert rows[0] == {"symbol": "BTCUSDT_PERP.A", "venue": "binance", "t": datetime(2024, 3, 1), "interval": "daily",
                       "open_usd": 5.0e9, "high_usd": 5.2e9, "low_usd": 4.9e9, "close_usd": 5.1e9}
    assert rows[1]["venue"] == "dydx" and rows[1]["t"] == datetime(2024, 3, 2) and rows[1]["close_usd"] == 1.5
    assert list(rows[0]) == list(cz.OpenInterest.columns)


def test_funding_and_liquidations_map_their_fields():
    rows = cz.Funding().parse(payload(entry("BTCUSDT.6", bar(T, "0.01", "0.0125", "-0.003", "0.0100"))))
    assert rows == [{"symbol": "BTCUSDT.6", "venue": "bybit", "t": datetime(2024, 3, 1), "interval": "daily",
                     "open_pct": 0.01, "high_pct": 0.0125, "low_pct": -0.003, "close_pct": 0.01}]
    assert cz.Funding().parse(payload(entry("BTCUSD_PERP.2", bar(T, 0, 0, 0, 0))))[0]["venue"] == "deribit"
    hourly = cz.Funding().parse(payload(entry("BTCUSD_PERP.H", bar(T, "0.00125", "0.0025", "-0.001", "0.00125"))))
    assert hourly[0]["venue"] == "hyperliquid" and hourly[0]["close_pct"] == 0.00125
    with pytest.raises(FeedParseError, match="refusing to land another instrument"):
        cz.Funding().parse(payload(entry("BTC.H", bar())))  # another Hyperliquid spelling is refused, not landed
    rows = cz.Liquidations().parse(payload(entry("BTCUSDT_PERP.3", {"t": str(T), "l": "1234567.5", "s": 0})))
    assert rows == [{"symbol": "BTCUSDT_PERP.3", "venue": "okx", "t": datetime(2024, 3, 1), "interval": "daily",
                     "long_usd": 1234567.5, "short_usd": 0.0}]
    assert list(rows[0]) == list(cz.Liquidations.columns)


def test_empty_answers_and_histories_parse_to_no_rows():
    assert cz.OpenInterest().parse(b"[]") == []
    assert cz.Liquidations().parse(payload(entry("BTCUSDT_PERP.A"), entry("BTC-USD_PERP.8"))) == []


def test_an_identical_repeated_bar_is_kept_once_a_conflicting_one_is_refused():
    assert len(cz.OpenInterest().parse(payload(entry("BTCUSDT.6", bar(), bar())))) == 1
    with pytest.raises(FeedParseError, match="conflicting bars for BTCUSDT.6"):
        cz.OpenInterest().parse(payload(entry("BTCUSDT.6", bar(), bar(c="9"))))


@pytest.mark.parametrize("t, expected", [
    (T * 1000, "not epoch seconds in 2009..2100 (it reads as milliseconds"),
    (str(T * 1000), "milliseconds"),
    (T + 0.5, "not a whole number"),
    (True, "a boolean is not an integer"),
    ("2024-03-01", "has unreadable value"),
    ("1709251200.0", "has unreadable value"),
    ("-1709251200", "has unreadable value"),
    (12345, "not epoch seconds in 2009..2100"),
    (T + 3600, "does not start at 00:00 UTC"),
    ([T], "unreadable value"),
    (None, "missing field 't'"),
])
def test_bar_times_must_be_whole_unix_seconds(t, expected):
    with pytest.raises(FeedParseError) as err:
        cz.OpenInterest().parse(payload(entry("BTCUSDT_PERP.A", bar(t))))
    assert "[coinalyze/open_interest]" in str(err.value) and expected in str(err.value)


def test_a_whole_float_and_an_integer_string_are_seconds_too():
    rows = cz.OpenInterest().parse(payload(entry("BTCUSDT_PERP.A", bar(float(T)), bar(str(T + D)))))
    assert [r["t"] for r in rows] == [datetime(2024, 3, 1), datetime(2024, 3, 2)]


@pytest.mark.parametrize("value, expected", [
    (True, "unreadable value True"),
    (False, "unreadable value False"),
    ("abc", "unreadable value 'abc'"),
    ("1,234", "unreadable value '1,234'"),
    ("NaN", "unreadable value 'NaN'"),
    ("1e999", "not finite"),
    ({"v": 1}, "unreadable value"),
    ("", "missing field 'c'"),
])
def test_values_are_numbers_or_numeric_strings_never_bools(value, expected):
    with pytest.raises(FeedParseError) as err:
        cz.OpenInterest().parse(payload(entry("BTCUSDT_PERP.A", bar(c=value))))
    assert expected in str(err.value) and "BTCUSDT_PERP.A history[0]" in str(err.value)


@pytest.mark.parametrize("body, expected", [
    (b"<!DOCTYPE html><html><body>Just a moment...</body></html>", "payload is an HTML page, not JSON"),
    (b"  <html>502 Bad Gateway</html>", "payload is an HTML page"),
    (b"Internal error", "payload is not JSON"),
    (b'{"message": "Invalid interval"}', "Coinalyze error object instead of data: 'Invalid interval'"),
    (b'{"data": []}', "as a JSON list"),
    (payload("BTCUSDT_PERP.A"), "expected an object in entry 0"),
    (payload({"history": []}), "missing field 'symbol' in entry 0"),
    (payload({"symbol": 7, "history": []}), "'symbol' in entry 0 has unreadable value 7: expected text"),
    (payload({"symbol": "BTCUSDT_PERP.A"}), "expected 'history' as a JSON list"),
    (payload(entry("ETHUSDT_PERP.A", bar())), "symbol 'ETHUSDT_PERP.A' in entry 0, not 'BTCUSDT_PERP.A'"),
    (payload(entry("BTCUSDT_PERP.A", [T, 1, 2, 0, 1])), "expected an object in BTCUSDT_PERP.A history[0]"),
])
def test_malformed_payloads_name_provider_and_problem(body, expected):
    with pytest.raises(FeedParseError) as err:
        cz.OpenInterest().parse(body)
    assert "[coinalyze/open_interest]" in str(err.value) and expected in str(err.value)


# -- planning ----------------------------------------------------------------------------------------------------
def test_one_call_asks_every_venue_for_a_daily_window_in_inclusive_seconds():
    (request,) = cz.OpenInterest().requests(Window(date(2024, 3, 1), date(2024, 3, 31)), NOW)
    assert request.url == "https://api.coinalyze.net/v1/open-interest-history"
    assert request.params == {"symbols": "BTCUSDT_PERP.A,BTCUSDT.6,BTCUSDT_PERP.3,BTCUSD_PERP.2,BTC-USD_PERP.8,"
                                         "BTCUSD_PERP.H",
                              "interval": "daily", "from": str(T), "to": str(T + 31 * D - 1),
                              "convert_to_usd": "true"}
    (funding,) = cz.Funding().requests(Window(date(2024, 3, 1), date(2024, 3, 1)), NOW)
    assert funding.url.endswith("/v1/funding-rate-history") and "convert_to_usd" not in funding.params
    (liq,) = cz.Liquidations().requests(Window(date(2025, 3, 1), date(2025, 3, 1)), NOW)
    assert liq.url.endswith("/v1/liquidation-history") and liq.params["convert_to_usd"] == "true"


def test_long_windows_are_chunked_to_at_most_365_daily_bars():
    window = Window(date(2020, 1, 1), date(2025, 9, 30))
    plan = cz.OpenInterest().requests(window, NOW)
    spans = [(int(r.params["from"]), int(r.params["to"])) for r in plan]
    assert spans[0][0] == int(datetime(2020, 1, 21, tzinfo=timezone.utc).timestamp())  # history starts 2020-01-21
    assert spans[-1][1] == int(NOW.timestamp())  # never beyond now (the bar in progress)
    assert all((to - frm + 1) <= cz.MAX_BARS * D for frm, to in spans)
    assert all(b[0] == a[1] + 1 for a, b in zip(spans, spans[1:]))  # contiguous, no day asked twice
    assert len(plan) == -(-((date(2025, 9, 21) - date(2020, 1, 21)).days + 1) // cz.MAX_BARS)


def test_more_than_20_symbols_are_never_asked_in_one_call():
    venues = {f"venue{i:02d}": f"BTC{i:02d}_PERP.X" for i in range(45)}
    dataset = cz.Funding(venues)
    plan = dataset.requests(Window(date(2024, 1, 1), date(2024, 12, 31)), NOW)  # 366 days: two chunks
    groups = [r.params["symbols"].split(",") for r in plan]
    assert len(plan) == 2 * 3 and all(len(g) <= 20 for g in groups)
    assert sorted(s for g in groups[:3] for s in g) == sorted(venues.values())
    rows = dataset.parse(payload(entry("BTC44_PERP.X", bar())))
    assert rows[0]["venue"] == "venue44"


def test_history_limits_make_old_days_unavailable_not_failed():
    oi, liq = cz.OpenInterest(), cz.Liquidations()
    assert oi.servable(date(2020, 1, 21), NOW) and not oi.servable(date(2020, 1, 20), NOW)
    assert oi.servable(date(2025, 9, 21), NOW) and not oi.servable(date(2025, 9, 22), NOW)
    assert liq.history_cutoff(NOW) == date(2023, 9, 24)  # 728 days back: a 2-day margin on ~730
    assert liq.servable(date(2023, 9, 24), NOW) and not liq.servable(date(2023, 9, 23), NOW)
    assert liq.requests(Window(date(2022, 1, 1), date(2023, 9, 23)), NOW) == []
    (request,) = liq.requests(Window(date(2023, 1, 1), date(2023, 12, 31)), NOW)
    assert request.params["from"] == str(int(datetime(2023, 9, 24, tzinfo=timezone.utc).timestamp()))
    naive = datetime(2025, 9, 21, 0, 30)  # a naive now is UTC
    assert oi.requests(Window(date(2025, 9, 21), date(2025, 9, 21)), naive)[0].params["to"] == str(int(NOW.timestamp()))


def test_answers_are_checked_against_what_was_asked():
    dataset = cz.OpenInterest()
    window = Window(date(2024, 3, 1), date(2024, 3, 2))
    (request,) = dataset.requests(window, NOW)
    inside = dataset.parse(payload(entry("BTCUSDT.6", bar(T), bar(T + D))))
    assert dataset.next_request(request, inside, window) is None
    outside = dataset.parse(payload(entry("BTCUSDT.6", bar(T + 2 * D))))
    with pytest.raises(FeedParseError, match=r"BTCUSDT.6 bar t=1709424000 .* outside the requested from=1709251200"):
        dataset.next_request(request, outside, window)
    narrow = dataset._request(["BTCUSDT_PERP.A"], T, T + D - 1)
    with pytest.raises(FeedParseError, match="symbol 'BTCUSDT.6', which this call did not ask for"):
        dataset.next_request(narrow, inside, window)


# -- errors through the client ---------------------------------------------------------------------------------
def test_401_names_the_key_and_400_surfaces_the_providers_message():
    dataset = cz.OpenInterest()
    window = Window(date(2024, 3, 1), date(2024, 3, 1))
    unauthorised = Recorder(HttpResponse(401, b'{"message":"Unauthorized"}'))
    with pytest.raises(FeedHttpError) as err:
        fetch(client(unauthorised), dataset, window, NOW)
    assert "HTTP 401" in str(err.value) and "Unauthorized" in str(err.value) and "COINALYZE_API_KEY" in str(err.value)
    assert len(unauthorised.requests) == 1  # not retried
    bad = Recorder(HttpResponse(400, b'{"message":"Invalid symbols parameter"}'))
    with pytest.raises(FeedHttpError, match=r"\[coinalyze/open_interest\] HTTP 400 on /v1/open-interest-history: "
                                            r"Invalid symbols parameter$"):
        fetch(client(bad), dataset, window, NOW)
    with pytest.raises(FeedHttpError, match="HTTP 403 .*<html>forbidden</html>"):
        fetch(client(Recorder(HttpResponse(403, b"<html>forbidden</html>"))), dataset, window, NOW)
    with pytest.raises(FeedHttpError, match=r"HTTP 200 on /v1/open-interest-history: maintenance$"):
        fetch(client(Recorder(HttpResponse(200, b'{"message":"maintenance"}'))), dataset, window, NOW)


def test_429_waits_as_long_as_retry_after_says_then_succeeds():
    slept: list[float] = []
    transport = Recorder(HttpResponse(429, b'{"message":"Too many requests"}', {"Retry-After": "7"}),
                         HttpResponse(429, b"", {"retry-after": "2"}),
                         HttpResponse(200, payload(entry("BTCUSDT_PERP.A", bar()))))
    pages = fetch(client(transport, slept.append), cz.OpenInterest(), Window(date(2024, 3, 1), date(2024, 3, 1)), NOW)
    assert slept == [7.0, 2.0] and len(transport.requests) == 3
    assert [r["venue"] for _, rows in pages for r in rows] == ["binance"]


def test_429_that_never_ends_gives_up_with_the_provider_named():
    transport = Recorder(*[HttpResponse(429, b'{"message":"slow down"}', {"Retry-After": "1"})] * 5)
    with pytest.raises(FeedHttpError, match=r"\[coinalyze\] gave up after 5 attempts .*HTTP 429"):
        fetch(client(transport), cz.Funding(), Window(date(2024, 3, 1), date(2024, 3, 1)), NOW)


# -- through the sample world -----------------------------------------------------------------------------------
def test_a_multi_year_window_through_the_sample_world():
    dataset = cz.OpenInterest()
    window = Window(date(2022, 1, 1), date(2025, 9, 20))
    pages = fetch(client(SampleTransport(now=NOW)), dataset, window, NOW)
    rows = [r for _, page in pages for r in page]
    assert len(pages) == 4
    days = {r["t"].date() for r in rows}
    assert days == set(window.days())
    per_venue = {v: sum(r["venue"] == v for r in rows) for v in cz.VENUE_SYMBOLS}
    assert per_venue["binance"] == per_venue["okx"] == per_venue["deribit"] == len(window.days())
    assert 0 < len(window.days()) - per_venue["bybit"] < 30  # a few outage days
    assert per_venue["dydx"] < len(window.days()) - 600  # dYdX from late 2023 only
    assert all(1e6 < r["low_usd"] <= r["close_usd"] <= r["high_usd"] < 1e11 for r in rows)


def test_cli_prints_parsed_rows_as_csv(tmp_path):
    saved = tmp_path / "oi.json"
    saved.write_bytes(payload(entry("BTCUSDT_PERP.A", bar(T, "5.0e9", "5.2e9", "4.9e9", "5.1e9"))))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.coinalyze", "open_interest", str(saved)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["symbol,venue,t,interval,open_usd,high_usd,low_usd,close_usd",
                   "BTCUSDT_PERP.A,binance,2024-03-01 00:00:00,daily,"
                   "5000000000.0,5200000000.0,4900000000.0,5100000000.0"]
    saved.write_bytes(payload(entry("BTC-USD_PERP.8", {"t": T, "l": 10, "s": "2.5"})))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.coinalyze", "liquidations", str(saved)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["symbol,venue,t,interval,long_usd,short_usd",
                   "BTC-USD_PERP.8,dydx,2024-03-01 00:00:00,daily,10.0,2.5"]
    saved.write_bytes(payload(entry("BTCUSDT_PERP.A", bar(T * 1000))))
    bad = subprocess.run([sys.executable, "-m", "orchestration.feeds.coinalyze", "funding", str(saved)],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "[coinalyze/funding]" in bad.stderr and "milliseconds" in bad.stderr
    usage = subprocess.run([sys.executable, "-m", "orchestration.feeds.coinalyze"], capture_output=True, text=True)
    assert usage.returncode == 2 and "open_interest|funding|liquidations" in usage.stderr

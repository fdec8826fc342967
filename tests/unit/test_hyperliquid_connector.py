"""Hyperliquid connector: POST bodies, forward paging 500 rows at a time, strict funding rows, the OI snapshot dated
by the response's Date header (kept beside the landed payload), and the weight budget of the shared rate limiter."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import duckdb
import pandas as pd
import pytest

from orchestration.feeds import hyperliquid as hl
from orchestration.feeds.base import Window, fetch, headers_file, to_ms
from orchestration.feeds.http import (FeedClient, FeedHttpError, FeedParseError, HttpRequest, HttpResponse,
                                      ProviderSpec, RateLimiter)
from orchestration.raw_store import land

NOW = datetime(2024, 6, 2, 0, 30, tzinfo=timezone.utc)
DATE = "Sun, 02 Jun 2024 00:30:00 GMT"  # NOW as the server's Date header
H = 3_600_000
T0 = to_ms(datetime(2024, 6, 1, tzinfo=timezone.utc))


def funding_row(ms: int, rate="0.0000125", coin="BTC") -> dict:
    return {"coin": coin, "fundingRate": rate, "premium": "-0.0002145", "time": ms}


def body(rows) -> bytes:
    return json.dumps(rows).encode()


def asked(request: HttpRequest) -> dict:
    return json.loads(request.body)


class FundingHistory:
    """A stand-in for fundingHistory: one settlement per hour (5 ms past it) up to ``last_ms``, the first 500
    from ``startTime`` within ``endTime`` (both inclusive)."""

    def __init__(self, last_ms: int):
        self.last_ms, self.calls = last_ms, []

    def send(self, request, timeout):
        ask = asked(request)
        self.calls.append(ask)
        first = -(-(ask["startTime"] - 5) // H) * H
        stamps = [t + 5 for t in range(first, min(ask["endTime"], self.last_ms) + 1, H) if t + 5 >= ask["startTime"]]
        return HttpResponse(200, body([funding_row(t) for t in stamps if t <= ask["endTime"]][:hl.LIMIT]))


def client(transport) -> FeedClient:
    return FeedClient(hl.PROVIDER, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)


def meta_and_ctxs(names=("ETH", "SOL", "BTC"), oi="29512.34", ctxs=None) -> bytes:
    def ctx(i):
        return {"funding": "0.0000125", "openInterest": oi if names[i] == "BTC" else "1.0", "prevDayPx": "67000.0",
                "dayNtlVlm": "1.0", "premium": "0.0001", "oraclePx": "67010.0", "markPx": "67020.5",
                "midPx": "67020.0", "impactPxs": ["67019.0", "67021.0"], "dayBaseVlm": "1.0"}
    universe = [{"name": n, "szDecimals": 5, "maxLeverage": 40} for n in names]
    return body([{"universe": universe}, [ctx(i) for i in range(len(names))] if ctxs is None else ctxs])


def snapshot(payload=None, date_header=DATE) -> HttpResponse:
    return HttpResponse(200, meta_and_ctxs() if payload is None else payload,
                        {"Content-Type": "application/json", **({"Date": date_header} if date_header else {})})


# -- requests and paging -----------------------------------------------------------------------------------------
def test_requests_post_json_bodies_with_integer_times():
    window = Window(date(2024, 5, 1), date(2024, 5, 31))
    (request,) = hl.Funding().requests(window, NOW)
    assert (request.method, request.url, request.params) == ("POST", "https://api.hyperliquid.xyz/info", {})
    assert request.headers == {"Content-Type": "application/json"}
    assert asked(request) == {"type": "fundingHistory", "coin": "BTC", "startTime": window.start_ms,
                              "endTime": window.end_ms - 1}
    assert all(type(asked(request)[k]) is int for k in ("startTime", "endTime"))
    (snap,) = hl.OpenInterest().requests(Window(date(2024, 6, 1), date(2024, 6, 1)), NOW)
    assert asked(snap) == {"type": "metaAndAssetCtxs"} and snap.method == "POST"


def test_funding_is_servable_from_launch_to_today():
    funding = hl.Funding()
    assert not funding.servable(hl.LAUNCH - timedelta(days=1), NOW) and funding.servable(hl.LAUNCH, NOW)
    assert funding.servable(date(2024, 6, 2), NOW) and not funding.servable(date(2024, 6, 3), NOW)
    (request,) = funding.requests(Window(hl.LAUNCH - timedelta(days=3), hl.LAUNCH), NOW)
    assert asked(request)["startTime"] == Window(hl.LAUNCH, hl.LAUNCH).start_ms
    assert funding.requests(Window(date(2023, 1, 1), date(2023, 1, 31)), NOW) == []


def test_a_full_page_is_followed_from_the_next_hour_and_a_short_one_ends_the_chain():
    window = Window(date(2024, 4, 1), date(2024, 4, 30))  # 720 hours: a full page and a short one
    transport = FundingHistory(last_ms=window.end_ms)
    pages = fetch(client(transport), hl.Funding(), window, NOW)
    rows = [r for _, page in pages for r in page]
    assert [len(page) for _, page in pages] == [500, 220]
    assert transport.calls[1]["startTime"] == window.start_ms + 500 * H  # the hour after page 1's last row
    assert transport.calls[1]["endTime"] == window.end_ms - 1
    assert len({r["funding_time"] for r in rows}) == 720 and rows[0]["funding_time"] == datetime(2024, 4, 1)


def test_exactly_500_rows_ask_once_more_and_stop_at_an_empty_page():
    window = Window(date(2024, 4, 1), date(2024, 4, 30))
    transport = FundingHistory(last_ms=window.start_ms + 499 * H)  # 500 settlements in all
    pages = fetch(client(transport), hl.Funding(), window, NOW)
    assert [len(page) for _, page in pages] == [500, 0] and len(transport.calls) == 2


# -- funding rows ------------------------------------------------------------------------------------------------
def test_funding_rows_land_on_the_settlement_hour_as_fractions_per_hour():
    rows = hl.Funding().parse(body([funding_row(T0 + 5), funding_row(T0 + H + 12, "-0.00000625")]))
    assert rows == [{"coin": "BTC", "funding_time": datetime(2024, 6, 1), "funding_rate": 0.0000125,
                     "premium": -0.0002145},
                    {"coin": "BTC", "funding_time": datetime(2024, 6, 1, 1), "funding_rate": -0.00000625,
                     "premium": -0.0002145}]
    assert hl.Funding().parse(b"[]") == []
    assert hl.Funding().parse(body([funding_row(T0 + 5)] * 2)) == rows[:1]  # a row repeated as is


@pytest.mark.parametrize("payload, expected", [
    (body([funding_row(True)]), "boolean"),
    (body([funding_row(T0 // 1000)]), "is not epoch milliseconds"),  # seconds
    (body([funding_row(T0 + H // 2)]), "past the hour: not an hourly settlement"),
    (body([funding_row(T0, coin="ETH")]), "refusing to land another instrument"),
    (body([funding_row(T0, rate=True)]), "boolean is not a number"),
    (body([funding_row(T0, rate="1_000")]), "not a number"),
    (body([{"coin": "BTC", "fundingRate": "0.0001", "time": T0}]), "missing field 'premium'"),
    (body([funding_row(T0), funding_row(T0 + 3, rate="0.5")]), "conflicting rows"),
    (body([funding_row(T0 + i * 8 * H) for i in range(3)]), "funding rows are 8h apart"),
    (body([funding_row(T0)])[:20], "not JSON"),
    (b'{"coin": "BTC"}', "expected funding rows as a JSON list"),
    (b"null", "no funding history for coin 'BTC'"),
    (b"Failed to deserialize the JSON body into the target type: missing field `coin`", "Failed to deserialize"),
])
def test_malformed_funding_payloads_name_provider_and_problem(payload, expected):
    with pytest.raises(FeedParseError) as err:
        hl.Funding().parse(payload)
    assert "[hyperliquid/funding]" in str(err.value) and expected in str(err.value)


def test_funding_rows_outside_the_requested_range_are_refused():
    dataset = hl.Funding()
    window = Window(date(2024, 6, 1), date(2024, 6, 1))
    (request,) = dataset.requests(window, NOW)
    assert dataset.next_request(request, dataset.parse(body([funding_row(T0 + 5)])), window) is None
    for outside in (T0 - H + 5, T0 + 24 * H + 5):
        with pytest.raises(FeedParseError, match="lies outside the requested startTime..endTime"):
            dataset.next_request(request, dataset.parse(body([funding_row(outside)])), window)


def test_error_answers_are_reported_and_429_is_retried():
    dataset = hl.Funding()
    (request,) = dataset.requests(Window(date(2024, 6, 1), date(2024, 6, 1)), NOW)
    text = b"Failed to deserialize the JSON body into the target type: missing field `type` at line 1 column 2"
    with pytest.raises(FeedHttpError, match=r"\[hyperliquid/funding\] HTTP 422 on /info: 'Failed to deserialize "
                                            r".*\(Hyperliquid could not read the request body: a connector bug\)"):
        dataset.check(request, HttpResponse(422, text))
    dataset.check(request, HttpResponse(200, body([])))  # a good answer passes
    sleeps: list[float] = []
    scripted = iter([HttpResponse(429, b"rate limited"), HttpResponse(200, body([funding_row(T0 + 5)]))])
    transport = type("T", (), {"send": lambda self, r, t: next(scripted)})()
    retrying = FeedClient(hl.PROVIDER, transport, rate_limiter=RateLimiter(0), sleep=sleeps.append)
    assert retrying.send(request).status == 200 and len(sleeps) == 1


# -- the open-interest snapshot ----------------------------------------------------------------------------------
def test_snapshot_finds_btc_by_name_and_dates_it_by_the_response():
    (row,) = hl.OpenInterest().parse_response(snapshot())
    assert row == {"coin": "BTC", "ts": datetime(2024, 6, 2, 0, 30), "oi_btc": 29512.34, "mark_price": 67020.5,
                   "oracle_price": 67010.0}
    (first,) = hl.OpenInterest().parse_response(snapshot(meta_and_ctxs(names=("BTC", "ETH"), oi="7.5")))
    assert first["oi_btc"] == 7.5
    lower = HttpResponse(200, meta_and_ctxs(), {"date": "Sun, 02 Jun 2024 01:15:30 GMT"})  # HTTP/2 lower case
    assert hl.OpenInterest().parse_response(lower)[0]["ts"] == datetime(2024, 6, 2, 1, 15, 30)


@pytest.mark.parametrize("response, expected", [
    (snapshot(date_header=None), "no Date header"),
    (snapshot(date_header="yesterday"), "is not an HTTP date"),
    (snapshot(date_header="Sun, 02 Jun 2024 00:30:00 -0000"), "is not an HTTP date"),  # no zone: unknown clock
    (snapshot(meta_and_ctxs(ctxs=[{}, {}])), "2 asset contexts for a universe of 3"),
    (snapshot(meta_and_ctxs(names=("ETH", "SOL"))), "lists 'BTC' 0 times"),
    (snapshot(meta_and_ctxs(names=("BTC", "BTC"))), "lists 'BTC' 2 times"),
    (snapshot(meta_and_ctxs(oi=True)), "boolean is not a number"),
    (snapshot(meta_and_ctxs(oi="NaN")), "not finite"),
    (snapshot(body([{"universe": []}])), "expected [meta, asset contexts]"),
    (snapshot(body([[], []])), "expected an object in meta"),
    (snapshot(b"null"), "expected [meta, asset contexts]"),
    (snapshot(meta_and_ctxs()[:40]), "not JSON"),
])
def test_malformed_snapshots_are_refused(response, expected):
    with pytest.raises(FeedParseError) as err:
        hl.OpenInterest().parse_response(response)
    assert "[hyperliquid/open_interest]" in str(err.value) and expected in str(err.value)


def test_a_bare_payload_is_refused_for_want_of_its_date():
    with pytest.raises(FeedParseError, match="no Date header"):
        hl.OpenInterest().parse(meta_and_ctxs())


def test_snapshot_is_servable_just_after_midnight_and_lands_on_the_day_that_ended():
    oi = hl.OpenInterest()
    day, end = date(2024, 6, 1), datetime(2024, 6, 2, tzinfo=timezone.utc)
    assert oi.servable(day, end) and oi.servable(day, end + timedelta(hours=5, minutes=59))
    assert not oi.servable(day, end + timedelta(hours=6)) and not oi.servable(day, end - timedelta(seconds=1))
    assert oi.servable_days(Window(date(2024, 5, 1), date(2024, 6, 2)), NOW) == [day]
    assert oi.requests(Window(date(2024, 5, 1), date(2024, 5, 30)), NOW) == []
    (row,) = oi.parse_response(snapshot())
    frame = pd.DataFrame([row, dict(row, ts=datetime(2024, 6, 2, 5, 59)), dict(row, ts=datetime(2024, 6, 2, 6))])
    assert list(pd.to_datetime(oi.partition_times(frame)).dt.date) == [day, day, date(2024, 6, 2)]


def test_landing_keeps_the_date_beside_the_verbatim_payload_and_the_cli_reparses_both(tmp_path):
    payload = meta_and_ctxs()
    transport = type("T", (), {"send": lambda self, r, t: snapshot(payload)})()
    result = land(hl.OpenInterest(), Window(date(2024, 6, 1), date(2024, 6, 1)), client(transport), tmp_path,
                  duckdb.connect(), NOW)
    (page,) = sorted(result.payload_dir.glob("page-*.json"))
    assert result.rows == 1 and page.read_bytes() == payload
    assert json.loads(headers_file(page).read_text()) == {"Date": DATE}
    done = subprocess.run([sys.executable, "-m", "orchestration.feeds.hyperliquid", "open_interest", str(page)],
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["coin,ts,oi_btc,mark_price,oracle_price",
                                        "BTC,2024-06-02 00:30:00,29512.34,67020.5,67010.0"]
    headers_file(page).unlink()
    done = subprocess.run([sys.executable, "-m", "orchestration.feeds.hyperliquid", "open_interest", str(page)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "no Date header" in done.stderr and "Traceback" not in done.stderr


def test_funding_cli_prints_rows(tmp_path):
    path = tmp_path / "funding.json"
    path.write_bytes(body([funding_row(T0 + 5)]))
    done = subprocess.run([sys.executable, "-m", "orchestration.feeds.hyperliquid", "funding", str(path)],
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["coin,funding_time,funding_rate,premium",
                                        "BTC,2024-06-01 00:00:00,1.25e-05,-0.0002145"]
    assert not headers_file(path).exists()  # funding keeps no headers


# -- the weight budget -------------------------------------------------------------------------------------------
def fake_time():
    clock, slept = [0.0], []

    def sleep(s):
        slept.append(s)
        clock[0] += s
    return (lambda: clock[0]), sleep, slept


def test_requests_are_spaced_by_their_weight_against_the_budget():
    clock, sleep, slept = fake_time()
    limiter = RateLimiter(5.0, clock=clock, sleep=sleep, weight_per_minute=1200)
    for weight in (20, 45, 20, 0):
        limiter.wait(weight)
    assert slept == pytest.approx([1.0, 2.25, 1.0])  # 20/1200 min, 45/1200 min, then 20/1200 min
    clock, sleep, slept = fake_time()
    unweighted = RateLimiter(2.0, clock=clock, sleep=sleep)  # every other provider: weights are no concern
    for weight in (45, 45, 45):
        unweighted.wait(weight)
    assert slept == [0.5, 0.5]


def test_hyperliquid_charges_each_request_its_worst_case_weight():
    funding = hl.Funding().requests(Window(date(2024, 6, 1), date(2024, 6, 1)), NOW)[0]
    snap = hl.OpenInterest().requests(Window(date(2024, 6, 1), date(2024, 6, 1)), NOW)[0]
    assert hl.PROVIDER.weight(funding) == 45 and hl.PROVIDER.weight(snap) == 20
    assert ProviderSpec("acme").weight(funding) == 0
    waits: list[float] = []
    limiter = type("L", (), {"wait": lambda self, weight=0.0: waits.append(weight)})()
    sent = FeedClient(hl.PROVIDER, type("T", (), {"send": lambda self, r, t: snapshot()})(), rate_limiter=limiter)
    sent.send(funding), sent.send(snap)
    assert waits == [45, 20]
    budget = FeedClient(hl.PROVIDER, None).rate_limiter
    assert budget.seconds_per_weight == pytest.approx(60 / hl.WEIGHT_PER_MINUTE)
    from orchestration.resources import live_rate_limiter  # the live runs' limiter, shared per provider

    assert live_rate_limiter(hl.PROVIDER).seconds_per_weight == pytest.approx(60 / hl.WEIGHT_PER_MINUTE)

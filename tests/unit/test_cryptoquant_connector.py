"""CryptoQuant connector: ``Authorization: Bearer`` from CRYPTOQUANT_API_KEY (never stored, scrubbed from errors,
skipped without it in live mode), windows cut into YYYYMMDD requests with their ``limit``, the
``{status, result: {window, data}}`` envelope read strictly (days, numbers, status codes), the sample world."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from orchestration.feeds import cryptoquant as cq
from orchestration.feeds.base import Window, fetch
from orchestration.feeds.http import FeedHttpError, FeedParseError, HttpResponse
from orchestration.sample.transport import SampleTransport
from tests.doubles import Recorder, body, ok, quick_client

NOW = datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc)


def envelope(*data, window="day", code=200) -> dict:
    return {"status": {"code": code, "message": "success"}, "result": {"window": window, "data": list(data)}}


def test_datasets_paths_and_columns():
    assert {name: d.path for name, d in cq.DATASETS.items()} == {
        "exchange_reserve": "exchange-flows/reserve", "exchange_netflow": "exchange-flows/netflow",
        "estimated_leverage_ratio": "market-data/estimated-leverage-ratio"}
    assert cq.DATASETS["exchange_reserve"].columns == {"exchange": "VARCHAR", "date": "TIMESTAMP",
                                                       "interval": "VARCHAR", "reserve_btc": "DOUBLE",
                                                       "reserve_usd": "DOUBLE"}


def test_the_token_is_a_bearer_header_never_stored_and_scrubbed_from_errors(monkeypatch):
    monkeypatch.delenv("CRYPTOQUANT_API_KEY", raising=False)
    assert "CRYPTOQUANT_API_KEY is not set" in cq.PROVIDER.missing_key_reason()
    monkeypatch.setenv("CRYPTOQUANT_API_KEY", "cq-t0ken")
    echo = HttpResponse(401, body({"status": {"code": 401, "message": "invalid token cq-t0ken"}}))
    transport = Recorder(echo)
    client = quick_client(cq.PROVIDER, transport)
    dataset = cq.ExchangeReserve()
    window = Window(date(2024, 3, 1), date(2024, 3, 1))
    with pytest.raises(FeedHttpError) as err:
        fetch(client, dataset, window, NOW)
    assert transport.requests[0].headers == {"Authorization": "Bearer cq-t0ken"}
    assert "cq-t0ken" not in str(err.value) and "invalid token ***" in str(err.value)
    assert "CRYPTOQUANT_API_KEY" in str(err.value)
    assert "cq-t0ken" not in client.display_url(dataset.requests(window, NOW)[0])


def test_windows_are_cut_into_requests_with_their_limit():
    requests = cq.ExchangeNetflow().requests(Window(date(2020, 1, 1), date(2024, 3, 9)), NOW)
    assert [(r.params["from"], r.params["to"], r.params["limit"]) for r in requests] == [
        ("20200101", "20220926", "1000"), ("20220927", "20240304", "525")]  # 03-05 has not ended at NOW
    assert requests[0].url == "https://api.cryptoquant.com/v1/btc/exchange-flows/netflow"
    assert {k: requests[0].params[k] for k in ("exchange", "window")} == {"exchange": "all_exchange", "window": "day"}


def test_newest_first_rows_parse_with_optional_usd():
    rows = cq.ExchangeReserve().parse(body(envelope(
        {"date": "2024-03-02", "reserve": "2999000.123", "reserve_usd": 1.8e11},
        {"date": "2024-03-01 00:00:00", "reserve": 3000000.5}, window="DAY")))
    assert rows == [
        {"exchange": "all_exchange", "date": datetime(2024, 3, 2), "interval": "day", "reserve_btc": 2999000.123,
         "reserve_usd": 1.8e11},
        {"exchange": "all_exchange", "date": datetime(2024, 3, 1), "interval": "day", "reserve_btc": 3000000.5,
         "reserve_usd": None}]


@pytest.mark.parametrize("record, expected", [
    ({"date": "2024-03-01 08:00:00", "estimated_leverage_ratio": 0.2}, "is not 00:00 UTC"),
    ({"date": "2024-03-01+08:00", "estimated_leverage_ratio": 0.2}, "offset"),
    ({"date": "03/01/2024", "estimated_leverage_ratio": 0.2}, "not an ISO-8601"),
    ({"date": 1709251200, "estimated_leverage_ratio": 0.2}, "ISO-8601 text"),
    ({"date": "2024-03-01", "estimated_leverage_ratio": True}, "a boolean is not a number"),
    ({"date": "2024-03-01", "estimated_leverage_ratio": "0,2"}, "not a number"),
    ({"date": "2024-03-01"}, "missing field 'estimated_leverage_ratio'"),
])
def test_days_and_values_are_read_strictly(record, expected):
    with pytest.raises(FeedParseError, match=expected):
        cq.EstimatedLeverageRatio().parse(body(envelope(record)))


@pytest.mark.parametrize("payload, expected", [
    (envelope(window="hour"), "result.window is 'hour'"),
    ({"status": {"code": "403", "message": "plan"}}, "error answer: status 403: 'plan'"),
    ({"status": {"code": 200}}, "expected {status, result"),
    ([], "expected {status, result"),
    (envelope({"date": "2024-03-01", "netflow_total": 1}, {"date": "2024-03-01", "netflow_total": 2}),
     "two rows for 2024-03-01"),
])
def test_envelopes_are_checked(payload, expected):
    with pytest.raises(FeedParseError, match=expected):
        cq.ExchangeNetflow().parse(body(payload))


def test_answers_are_checked_against_the_request():
    dataset = cq.ExchangeNetflow()
    window = Window(date(2024, 3, 1), date(2024, 3, 2))
    (request,) = dataset.requests(window, NOW)
    outside = dataset.parse(body(envelope({"date": "2024-02-29", "netflow_total": 1})))
    with pytest.raises(FeedParseError, match="outside the requested from..to = 2024-03-01..2024-03-02"):
        dataset.next_request(request, outside, window)
    three = dataset.parse(body(envelope(*({"date": f"2024-03-0{d}", "netflow_total": 1} for d in (1, 2, 3)))))
    with pytest.raises(FeedParseError, match="3 rows answer a request for at most 2"):
        dataset.next_request(request, three, window)


def test_an_error_status_inside_http_200_is_an_error():
    response = ok({"status": {"code": 429, "message": "Too many requests"}, "result": {}})
    with pytest.raises(FeedHttpError, match="status 429: 'Too many requests'"):
        cq.ExchangeReserve().check(cq.ExchangeReserve().requests(Window(date(2024, 3, 1), date(2024, 3, 1)), NOW)[0],
                                   response)


def test_a_window_through_the_sample_world():
    now = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)
    window = Window(date(2024, 1, 2), date(2024, 3, 1))
    client = quick_client(cq.PROVIDER, SampleTransport(now=now))
    rows = {name: sorted((r for _, page in fetch(client, d, window, now) for r in page), key=lambda r: r["date"])
            for name, d in cq.DATASETS.items()}
    assert all([r["date"].date() for r in got] == window.days() for got in rows.values())
    reserve = [r["reserve_btc"] for r in rows["exchange_reserve"]]
    assert all(2.5e6 < r < 3.5e6 for r in reserve)
    for previous, today, flow in zip(reserve, reserve[1:], rows["exchange_netflow"][1:]):
        assert flow["netflow_btc"] == pytest.approx(today - previous, abs=1e-3 * today)
    assert all(0.05 < r["estimated_leverage_ratio"] < 0.4 for r in rows["estimated_leverage_ratio"])

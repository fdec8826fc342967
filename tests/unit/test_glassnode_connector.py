"""Glassnode connector: the key in the ``api_key`` query parameter (redacted, skipped without it in live mode),
one request per window in UNIX seconds for ended days, strict ``[{t, v}]`` parsing (seconds only, midnight only,
numbers only), errors named, the sample world end to end, the CLI."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from orchestration.feeds import glassnode as gn
from orchestration.feeds.base import Window, fetch
from orchestration.feeds.http import FeedHttpError, FeedParseError, HttpResponse
from orchestration.sample.transport import SampleTransport
from tests.doubles import Recorder, body, ok, quick_client

NOW = datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc)
T = 1_709_251_200  # 2024-03-01 00:00 UTC
D = 86_400


def test_datasets_paths_and_columns():
    assert {name: d.path for name, d in gn.DATASETS.items()} == {
        "exchange_balance": "distribution/balance_exchanges",
        "exchange_net_flow": "transactions/transfers_volume_exchanges_net",
        "mvrv": "market/mvrv", "nupl": "indicators/net_unrealized_profit_loss"}
    assert gn.DATASETS["exchange_balance"].columns == {"asset": "VARCHAR", "t": "TIMESTAMP", "interval": "VARCHAR",
                                                       "balance_btc": "DOUBLE"}
    assert all(d.time_column == "t" and d.provider is gn.PROVIDER for d in gn.DATASETS.values())


def test_the_key_goes_in_the_query_never_in_the_stored_url_and_live_runs_skip_without_it(monkeypatch):
    monkeypatch.delenv("GLASSNODE_API_KEY", raising=False)
    assert "GLASSNODE_API_KEY is not set" in gn.PROVIDER.missing_key_reason()
    monkeypatch.setenv("GLASSNODE_API_KEY", "gn-s3cret")
    assert gn.PROVIDER.missing_key_reason() is None
    transport = Recorder(ok([]))
    client = quick_client(gn.PROVIDER, transport)
    request = gn.Mvrv().requests(Window(date(2024, 3, 1), date(2024, 3, 1)), NOW)[0]
    client.send(request)
    assert transport.requests[0].params["api_key"] == "gn-s3cret"
    assert "gn-s3cret" not in client.display_url(request) and "api_key=***" in client.display_url(request)


def test_one_request_covers_the_ended_days_of_the_window_in_seconds():
    (request,) = gn.ExchangeBalance().requests(Window(date(2024, 3, 1), date(2024, 3, 9)), NOW)
    assert request.url == "https://api.glassnode.com/v1/metrics/distribution/balance_exchanges"
    # 03-05 is in progress at NOW: the last day asked for is 03-04, up to its last second
    assert request.params == {"a": "BTC", "i": "24h", "s": str(T), "u": str(T + 4 * D - 1), "f": "json",
                              "timestamp_format": "unix"}
    assert gn.ExchangeBalance().requests(Window(date(2024, 3, 5), date(2024, 3, 9)), NOW) == []


def test_points_parse_from_numbers_and_numeric_text():
    rows = gn.ExchangeBalance().parse(body([{"t": T, "v": 2345678.5}, {"t": str(T + D), "v": "2345000.25"}]))
    assert rows == [{"asset": "BTC", "t": datetime(2024, 3, 1), "interval": "24h", "balance_btc": 2345678.5},
                    {"asset": "BTC", "t": datetime(2024, 3, 2), "interval": "24h", "balance_btc": 2345000.25}]
    assert gn.Nupl().parse(body([{"t": T, "v": -0.12}]))[0]["nupl"] == -0.12
    assert gn.Mvrv().parse(b"[]") == []


@pytest.mark.parametrize("t, expected", [
    (T * 1000, "it reads as milliseconds"),
    (T + 0.5, "not a whole number"),
    (True, "a boolean is not an integer"),
    ("2024-03-01", "unreadable value"),
    (T + 3600, "is not 00:00 UTC: not a daily value"),
    (5_000_000_000, "not epoch seconds in 2009..2100"),
    (None, "missing field 't'"),
])
def test_times_are_whole_seconds_at_midnight(t, expected):
    with pytest.raises(FeedParseError) as err:
        gn.ExchangeBalance().parse(body([{"t": t, "v": 1.0}]))
    assert "[glassnode/exchange_balance]" in str(err.value) and expected in str(err.value)


@pytest.mark.parametrize("v, expected", [
    (True, "a boolean is not a number"), ("nan", "not finite"), ("1_000", "not a number"), (None, "missing field 'v'"),
    ({"balance": 1}, "unreadable value"),
])
def test_values_are_numbers_never_bools_or_text(v, expected):
    with pytest.raises(FeedParseError, match=expected):
        gn.ExchangeNetFlow().parse(body([{"t": T, "v": v}]))


@pytest.mark.parametrize("payload, expected", [
    (b"<!DOCTYPE html><title>Just a moment...</title>", "an HTML page"),
    (body({"error": "unauthorized"}), "error answer: 'unauthorized'"),
    (body({"data": []}), "as a JSON list"),
    (body([{"t": T, "v": 1}, {"t": T, "v": 2}]), "two rows for 2024-03-01"),
    (body([[T, 1]]), "expected an object"),
])
def test_malformed_payloads_are_named(payload, expected):
    with pytest.raises(FeedParseError, match=expected):
        gn.Mvrv().parse(payload)


def test_an_answer_must_hold_only_the_requested_days():
    dataset = gn.Mvrv()
    (request,) = dataset.requests(Window(date(2024, 3, 2), date(2024, 3, 3)), NOW)
    with pytest.raises(FeedParseError, match="2024-03-01 lies outside the requested s..u = 2024-03-02..2024-03-03"):
        dataset.next_request(request, dataset.parse(body([{"t": T, "v": 2.0}])), Window(date(2024, 3, 2),
                                                                                     date(2024, 3, 3)))


def test_errors_quote_the_provider_and_name_the_key_or_plan():
    dataset, window = gn.Nupl(), Window(date(2024, 3, 1), date(2024, 3, 1))
    for status, text, expected in ((401, b"unauthorized", "API key missing or invalid"),
                                   (403, b'{"error":"metric requires a higher tier"}', "free tier"),
                                   (400, b'{"message":"invalid interval"}', "'invalid interval'")):
        with pytest.raises(FeedHttpError) as err:
            fetch(quick_client(gn.PROVIDER, Recorder(HttpResponse(status, text))), dataset, window, NOW)
        assert f"HTTP {status}" in str(err.value) and expected in str(err.value)


def test_a_window_through_the_sample_world():
    now = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)
    window = Window(date(2024, 1, 2), date(2024, 3, 1))
    client = quick_client(gn.PROVIDER, SampleTransport(now=now))
    rows = {name: [r for _, page in fetch(client, d, window, now) for r in page] for name, d in gn.DATASETS.items()}
    assert all([r["t"].date() for r in got] == window.days() for got in rows.values())
    assert all(1.5e6 < r["balance_btc"] < 3e6 for r in rows["exchange_balance"])
    assert all(abs(r["net_flow_btc"]) < 1e5 for r in rows["exchange_net_flow"])
    for mvrv, nupl in zip(rows["mvrv"], rows["nupl"]):
        assert nupl["nupl"] == pytest.approx(1 - 1 / mvrv["mvrv"], abs=1e-9)


def test_cli_prints_rows_as_csv(tmp_path):
    saved = tmp_path / "mvrv.json"
    saved.write_bytes(body([{"t": T, "v": 1.8934}]))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.glassnode", "mvrv", str(saved)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["asset,t,interval,mvrv", "BTC,2024-03-01 00:00:00,24h,1.8934"]

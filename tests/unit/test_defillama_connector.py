"""DefiLlama connector: the whole chart in one request, dates as UNIX seconds in TEXT (numbers accepted;
milliseconds, fractions, bools and other times refused), the USD peg read from the nested per-peg objects,
errors named, and a landing keeps exactly its window's days."""
from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb
import pytest

from orchestration.feeds import defillama as dl
from orchestration.feeds.base import Window, fetch
from orchestration.feeds.http import FeedHttpError, FeedParseError, HttpResponse
from tests.conftest import land_from_sample
from tests.doubles import Recorder, body, quick_client

NOW = datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc)
T = 1_709_251_200  # 2024-03-01 00:00 UTC
D = 86_400


def point(date_=str(T), usd=1.5e11, units=1.499e11, **extra) -> dict:
    out = {"date": date_, "totalCirculating": {"peggedUSD": units, "peggedEUR": 2.1e8},
           "totalCirculatingUSD": {"peggedUSD": usd, "peggedEUR": 2.3e8}, "totalMintedUSD": {"peggedUSD": usd}}
    return {k: v for k, v in {**out, **extra}.items() if v is not None}


def test_the_whole_chart_is_one_request_for_a_window_with_ended_days():
    (request,) = dl.StablecoinSupply().requests(Window(date(2024, 3, 1), date(2024, 3, 9)), NOW)
    assert (request.method, request.url, dict(request.params)) == (
        "GET", "https://stablecoins.llama.fi/stablecoincharts/all", {})
    assert dl.StablecoinSupply().requests(Window(date(2024, 3, 5), date(2024, 3, 9)), NOW) == []
    assert not dl.PROVIDER.key_required


def test_text_dates_and_the_usd_peg_parse():
    rows = dl.StablecoinSupply().parse(body([point(), point(T + D, usd="151000000000.5", units=None)]))
    assert rows == [
        {"peg": "peggedUSD", "date": datetime(2024, 3, 1), "circulating_usd": 1.5e11, "circulating": 1.499e11},
        {"peg": "peggedUSD", "date": datetime(2024, 3, 2), "circulating_usd": 151000000000.5, "circulating": None}]


@pytest.mark.parametrize("date_, expected", [
    (str(T * 1000), "it reads as milliseconds"),
    (T + 0.5, "not a whole number"),
    ("1709251200.0", "unreadable value"),
    (True, "a boolean is not an integer"),
    (str(T + 3600), "is not 00:00 UTC"),
    ("2024-03-01", "unreadable value"),
    (None, "missing field 'date'"),
])
def test_dates_are_whole_unix_seconds_at_midnight(date_, expected):
    with pytest.raises(FeedParseError) as err:
        dl.StablecoinSupply().parse(body([point(date_)]))
    assert "[defillama/stablecoin_supply]" in str(err.value) and expected in str(err.value)


@pytest.mark.parametrize("changes, expected", [
    ({"totalCirculatingUSD": None}, "missing field 'totalCirculatingUSD'"),
    ({"totalCirculatingUSD": {"peggedEUR": 1.0}}, "missing field 'peggedUSD' in totalCirculatingUSD"),
    ({"totalCirculatingUSD": 1.5e11}, "should be an object of pegs"),
    ({"totalCirculatingUSD": {"peggedUSD": -5.0}}, "is negative"),
    ({"totalCirculatingUSD": {"peggedUSD": True}}, "a boolean is not a number"),
    ({"totalCirculating": {"peggedUSD": "lots"}}, "not a number"),
])
def test_the_usd_peg_is_read_strictly(changes, expected):
    with pytest.raises(FeedParseError, match=expected):
        dl.StablecoinSupply().parse(body([point(**changes)]))


@pytest.mark.parametrize("payload, expected", [
    (b"<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>", "an HTML page, not JSON"),
    (body({"message": "Internal server error"}), "error answer: 'Internal server error'"),
    (body([point(), point()]), "two rows for 2024-03-01"),
    (body({"peggedAssets": []}), "as a JSON list"),
])
def test_payloads_are_checked(payload, expected):
    with pytest.raises(FeedParseError, match=expected):
        dl.StablecoinSupply().parse(payload)


def test_http_errors_name_what_answered():
    page = b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head></html>"
    transport = Recorder(HttpResponse(403, page, {}))
    with pytest.raises(FeedHttpError, match="HTTP 403 .*Cloudflare challenge"):
        fetch(quick_client(dl.PROVIDER, transport, max_retries=0), dl.StablecoinSupply(),
              Window(date(2024, 3, 1), date(2024, 3, 1)), NOW)


def test_a_landing_keeps_its_window_of_the_whole_chart(tmp_path):
    now = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)
    window = Window(date(2024, 2, 20), date(2024, 3, 1))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    result, frame = land_from_sample(dl.StablecoinSupply(), window, now, con, tmp_path / "raw")
    assert result.error is None and result.pages == 1
    assert [d.date() for d in frame["date"]] == window.days()
    assert (frame["circulating_usd"].between(1.2e11, 1.7e11)).all() and set(frame["peg"]) == {"peggedUSD"}

"""CoinMetrics connector: numbers as text read exactly, ``next_page_token`` paging (canned and through the sample
world), strict rows (asset, midnight UTC, every metric present, a day once), error envelopes, and the real rows
of ``../shared/realdata/coinmetrics`` through the parser to the same values."""
from __future__ import annotations

import csv
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from orchestration.feeds import coinmetrics as cm
from orchestration.feeds.base import Window, fetch
from orchestration.feeds.http import FeedHttpError, FeedParseError, HttpResponse
from orchestration.sample.transport import SampleTransport
from tests.doubles import Recorder, body, ok, quick_client

NOW = datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc)
METRICS = list(cm.METRICS)


def row(day="2024-03-01", asset="btc", **values) -> dict:
    metrics = {m: "1.5" for m in METRICS} | {"PriceUSD": "61571.1100905903", "SplyCur": "18684363.25551931",
                                             "SplyExNtv": "1466086.46358355"}
    return {"asset": asset, "time": f"{day}T00:00:00.000000000Z", **metrics, **values}


def page(*rows, token=None) -> dict:
    out = {"data": list(rows)}
    if token:
        out |= {"next_page_token": token, "next_page_url": f"https://{cm.API[8:]}?next_page_token={token}"}
    return out


def test_one_request_asks_every_metric_from_the_start():
    (request,) = cm.AssetMetrics().requests(Window(date(2024, 3, 1), date(2024, 3, 9)), NOW)
    assert request.url == "https://community-api.coinmetrics.io/v4/timeseries/asset-metrics"
    assert request.params == {"assets": "btc", "metrics": "PriceUSD,CapMVRVCur,SplyCur,SplyExNtv,FlowInExNtv,"
                              "FlowOutExNtv", "frequency": "1d", "start_time": "2024-03-01",
                              "end_time": "2024-03-04", "page_size": "10000", "paging_from": "start"}
    assert cm.PROVIDER.api_key_env is None and not cm.PROVIDER.key_required  # the community API needs no key


def test_numbers_as_text_are_read_exactly_never_truncated():
    (parsed,) = cm.AssetMetrics().parse(body(page(row(CapMVRVCur="2.248606081441407271", FlowInExNtv=23244.9547))))
    assert parsed["mvrv"] == float("2.248606081441407271") and parsed["flow_in_exchanges_btc"] == 23244.9547
    assert parsed["price_usd"] == 61571.1100905903 and parsed["supply_btc"] == 18684363.25551931
    assert parsed["time"] == datetime(2024, 3, 1) and parsed["asset"] == "btc" and parsed["frequency"] == "1d"


def test_a_null_metric_lands_null_a_missing_one_is_refused():
    (parsed,) = cm.AssetMetrics().parse(body(page(row(SplyExNtv=None))))
    assert parsed["supply_exchanges_btc"] is None and parsed["price_usd"] > 0
    without = row()
    del without["FlowOutExNtv"]
    with pytest.raises(FeedParseError, match="missing field 'FlowOutExNtv'.*does not serve it"):
        cm.AssetMetrics().parse(body(page(without)))
    with pytest.raises(FeedParseError, match="carries none of the metrics"):
        cm.AssetMetrics().parse(body(page(row(**{m: None for m in METRICS}))))


@pytest.mark.parametrize("changes, expected", [
    ({"asset": "eth"}, "asset 'eth'.*refusing to land another instrument"),
    ({"asset": 1}, "expected text"),
    ({"time": "2024-03-01T08:00:00.000000000Z"}, "is not 00:00 UTC"),
    ({"time": "2024-03-01T00:00:00.000000000+08:00"}, "offset"),
    ({"time": 1709251200}, "ISO-8601 text"),
    ({"time": "2150-03-01T00:00:00.000000000Z"}, "outside 2009..2100"),
    ({"PriceUSD": True}, "a boolean is not a number"),
    ({"SplyExNtv": "1,466,086"}, "not a number"),
    ({"CapMVRVCur": "NaN"}, "not finite"),
])
def test_rows_are_read_strictly(changes, expected):
    with pytest.raises(FeedParseError, match=expected):
        cm.AssetMetrics().parse(body(page(row(**changes))))


@pytest.mark.parametrize("payload, expected", [
    (page(row(), row()), "two rows for 2024-03-01"),
    ({"error": {"type": "forbidden", "message": "not available"}}, "forbidden: 'not available'"),
    ([row()], "expected {data, next_page_token}"),
    ({"data": {}}, "as a JSON list"),
    (page(row(), token=7), "next_page_token should be text"),
])
def test_payloads_are_checked(payload, expected):
    with pytest.raises(FeedParseError, match=expected):
        cm.AssetMetrics().parse(body(payload))


def test_pages_are_followed_by_next_page_token_with_the_same_parameters():
    transport = Recorder(ok(page(row("2024-03-01"), row("2024-03-02"), token="dG9rZW4x")),
                         ok(page(row("2024-03-03"))))
    window = Window(date(2024, 3, 1), date(2024, 3, 3))
    pages = fetch(quick_client(cm.PROVIDER, transport), cm.AssetMetrics(), window, NOW)
    assert [r["time"].day for _, rows in pages for r in rows] == [1, 2, 3]
    first, second = transport.requests
    assert "next_page_token" not in first.params
    assert second.params == {**first.params, "next_page_token": "dG9rZW4x"}


def test_a_token_that_repeats_the_request_is_refused_rather_than_looped_on():
    transport = Recorder(ok(page(row("2024-03-01"), token="same")), ok(page(row("2024-03-02"), token="same")))
    with pytest.raises(FeedParseError, match="repeats the request's own: paging would loop"):
        fetch(quick_client(cm.PROVIDER, transport), cm.AssetMetrics(), Window(date(2024, 3, 1), date(2024, 3, 2)),
              NOW)


def test_rows_outside_the_requested_days_are_refused():
    transport = Recorder(ok(page(row("2024-02-29"))))
    with pytest.raises(FeedParseError, match="2024-02-29 lies outside the requested start_time..end_time"):
        fetch(quick_client(cm.PROVIDER, transport), cm.AssetMetrics(), Window(date(2024, 3, 1), date(2024, 3, 2)),
              NOW)


def test_errors_are_quoted():
    transport = Recorder(HttpResponse(403, body({"error": {"type": "forbidden", "message": "Requested metric "
                                                           "'SplyExNtv' is not available"}})))
    with pytest.raises(FeedHttpError, match="HTTP 403 .*forbidden: \"Requested metric 'SplyExNtv'"):
        fetch(quick_client(cm.PROVIDER, transport), cm.AssetMetrics(), Window(date(2024, 3, 1), date(2024, 3, 1)),
              NOW)


def test_paging_through_the_sample_world_gives_the_rows_of_one_page():
    now = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)
    window = Window(date(2024, 1, 2), date(2024, 3, 1))
    client = quick_client(cm.PROVIDER, SampleTransport(now=now))
    paged = fetch(client, cm.AssetMetrics(page_size=25), window, now)
    whole = fetch(client, cm.AssetMetrics(), window, now)
    assert [len(rows) for _, rows in paged] == [25, 25, 10] and len(whole) == 1
    assert [r for _, rows in paged for r in rows] == whole[0][1]
    assert [r["time"].date() for r in whole[0][1]] == window.days()


# -- the real rows ------------------------------------------------------------------------------------------------
def real_rows(realdata: Path) -> list[dict]:
    with open(realdata / "coinmetrics" / "btc_event_windows_excerpt.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_the_real_coinmetrics_rows_parse_to_the_same_values(realdata):
    """The 24 real rows (2021-04-16 .. 2025-10-12), served as the API serves them (every metric as text, the
    time with nanoseconds), parse to exactly the values the text spells: 18-decimal MVRVs included."""
    real = real_rows(realdata)
    payload = page(*({"asset": "btc", "time": f"{r['time']}T00:00:00.000000000Z", **{m: r[m] for m in METRICS}}
                     for r in real))
    parsed = cm.AssetMetrics().parse(body(payload))
    assert len(parsed) == len(real) == 24
    for got, r in zip(parsed, real):
        assert got["time"] == datetime.fromisoformat(r["time"])
        for metric, column in cm.METRICS.items():
            assert got[column] == float(r[metric]), (r["time"], metric)
    assert parsed[2]["supply_exchanges_btc"] == 1425449.61469448  # 2021-04-18
    assert parsed[-3]["mvrv"] == 2.070562788244426797  # 2025-10-10


def test_the_real_coverage_break_is_visible_in_the_real_levels(realdata):
    """SplyExNtv 1.38 M BTC on 2022-11-08 and 2.80 M on 2024-08-05 while the supply barely moved: a coverage
    change, not coins moving (the flows of those windows are tens of thousands of BTC a day)."""
    real = {r["time"]: r for r in real_rows(realdata)}
    before, after = (float(real[d]["SplyExNtv"]) for d in ("2022-11-08", "2024-08-05"))
    assert 1.9 < after / before < 2.2
    assert max(float(r["FlowInExNtv"]) for r in real.values()) < 0.1 * (after - before)

"""The CFTC lens answers Socrata's COT URL in its own shapes (string values, SoQL, offset paging, error
objects), consistent with the sample world's CME open interest."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from orchestration.feeds import cftc
from orchestration.feeds.base import Window, fetch
from orchestration.feeds.http import FeedClient, HttpRequest, RateLimiter
from orchestration.sample.transport import SampleTransport

NOW = datetime(2024, 3, 1, 20, 30, tzinfo=timezone.utc)  # the Friday release of Tuesday 2024-02-27
URL = cftc.URL
ORDER = "report_date_as_yyyy_mm_dd DESC, cftc_contract_market_code"


@pytest.fixture(scope="module")
def transport():
    return SampleTransport(now=NOW)


def get(transport, url=URL, **params):
    response = transport.send(HttpRequest("GET", url, {k: str(v) for k, v in params.items()}), 5.0)
    return response.status, json.loads(response.body)


def where(start: str, end: str, codes: str = "'133741','133742'") -> str:
    return (f"cftc_contract_market_code in({codes}) AND report_date_as_yyyy_mm_dd between "
            f"'{start}T00:00:00.000' and '{end}T23:59:59.999'")


def test_rows_are_string_valued_tuesdays_newest_first(transport):
    status, rows = get(transport, **{"$where": where("2024-01-01", "2024-03-01"), "$order": ORDER})
    assert status == 200 and len(rows) == 2 * 9  # Tuesdays 2024-01-02 .. 2024-02-27, both contracts
    assert all(isinstance(v, str) for row in rows for v in row.values())
    keys = [(r["report_date_as_yyyy_mm_dd"], r["cftc_contract_market_code"]) for r in rows]
    assert keys[:3] == [("2024-02-27T00:00:00.000", "133741"), ("2024-02-27T00:00:00.000", "133742"),
                        ("2024-02-20T00:00:00.000", "133741")]
    assert all(date.fromisoformat(k[0][:10]).weekday() == 1 for k in keys)
    assert keys == sorted(keys, key=lambda k: (k[0], -int(k[1])), reverse=True)


def test_release_timing(transport):
    before = SampleTransport(now=NOW - timedelta(minutes=1), world=transport.world)
    params = {"$where": where("2024-02-20", "2024-02-29")}
    assert {r["report_date_as_yyyy_mm_dd"][:10] for r in get(before, **params)[1]} == {"2024-02-20"}
    assert {r["report_date_as_yyyy_mm_dd"][:10] for r in get(transport, **params)[1]} == {"2024-02-20", "2024-02-27"}


def test_micro_starts_in_may_2021_and_history_at_the_world_start(transport):
    rows = get(transport, **{"$where": where("2017-12-01", "2021-05-31"), "$limit": 50000})[1]
    micro = sorted(r["report_date_as_yyyy_mm_dd"][:10] for r in rows if r["cftc_contract_market_code"] == "133742")
    standard = sorted(r["report_date_as_yyyy_mm_dd"][:10] for r in rows if r["cftc_contract_market_code"] == "133741")
    assert micro[0] == "2021-05-04" and len(micro) == 4
    assert standard[0] == "2020-01-07"  # the sample world starts 2020-01-01 (real history: 2017-12-19)


def test_values_follow_the_world(transport):
    rows = get(transport, **{"$where": where("2023-06-01", "2024-02-29")})[1]
    hourly = transport.world.hourly.set_index("ts")
    by_day: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_day.setdefault(r["report_date_as_yyyy_mm_dd"][:10], {})[r["cftc_contract_market_code"]] = r
    for day, pair in by_day.items():
        close = hourly.loc[datetime.fromisoformat(day) + timedelta(hours=21)]
        standard, micro = (float(pair[c]["open_interest_all"]) for c in ("133741", "133742"))
        btc = standard * 5 + micro * 0.1
        assert btc == pytest.approx(close["cme_oi_btc"], abs=3.0)
        assert micro * 0.1 / btc == pytest.approx(close["cme_micro_share"], abs=0.001)
        for r in pair.values():
            oi = float(r["open_interest_all"])
            assert 0.14 <= float(r["lev_money_positions_long"]) / oi <= 0.31
            assert 0.39 <= float(r["lev_money_positions_short"]) / oi <= 0.61


def test_limit_offset_and_codes(transport):
    full = get(transport, **{"$where": where("2023-01-01", "2023-12-31"), "$order": ORDER})[1]
    assert len(full) == 2 * 52
    paged = [r for off in range(0, 104, 25)
             for r in get(transport, **{"$where": where("2023-01-01", "2023-12-31"), "$order": ORDER,
                                        "$limit": 25, "$offset": off})[1]]
    assert paged == full
    micro_only = get(transport, **{"$where": where("2023-01-01", "2023-12-31", "'133742'")})[1]
    assert {r["cftc_contract_market_code"] for r in micro_only} == {"133742"} and len(micro_only) == 52
    assert get(transport, **{"$where": where("2023-01-01", "2023-12-31"), "$offset": 104})[1] == []


@pytest.mark.parametrize("params, code", [
    ({"$where": "cftc_contract_market_code = '133741'"}, "query.compiler.malformed"),
    ({"$where": where("2024-01-01", "2024-03-01") + " OR 1=1"}, "query.compiler.malformed"),
    ({"$order": "open_interest_all DESC"}, "query.compiler.malformed"),
    ({"$limit": 50001}, "query.execution.limitExceeded"),
    ({"$limit": "ten"}, "query.compiler.malformed"),
    ({"$offset": -5}, "query.compiler.malformed"),
])
def test_unsupported_soql_is_a_socrata_400(transport, params, code):
    status, body = get(transport, **params)
    assert status == 400 and body["error"] is True and body["code"] == code and body["message"]


def test_unknown_dataset_is_a_404(transport):
    status, body = get(transport, url="https://publicreporting.cftc.gov/resource/abcd-1234.json")
    assert status == 404 and body["error"] is True
    assert get(transport, url="https://publicreporting.cftc.gov/api/views")[0] == 404


def test_connector_fetches_years_over_several_pages(transport):
    dataset = cftc.CmeOpenInterest()
    dataset.limit = 100
    client = FeedClient(cftc.PROVIDER, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)
    window = Window(date(2019, 1, 1), date(2024, 3, 1))
    pages = fetch(client, dataset, window, NOW)
    rows = [r for _, page_rows in pages for r in page_rows]
    standard_weeks = (date(2024, 2, 27) - date(2020, 1, 7)).days // 7 + 1
    micro_weeks = (date(2024, 2, 27) - date(2021, 5, 4)).days // 7 + 1
    assert len(rows) == standard_weeks + micro_weeks and len(pages) == -(-len(rows) // 100)
    assert len({(r["contract_market_code"], r["report_date"]) for r in rows}) == len(rows)
    assert all(r["report_date"].weekday() == 1 and r["report_date"].time() == datetime.min.time() for r in rows)
    sizes = {r["contract_market_code"]: r["contract_size_btc"] for r in rows}
    assert sizes == {"133741": 5.0, "133742": 0.1}

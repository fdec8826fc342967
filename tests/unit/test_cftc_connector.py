"""CFTC COT connector: SoQL request building, offset paging, parsing of Socrata payloads, the weekly
servable rule."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from orchestration.feeds import cftc
from orchestration.feeds.base import Window, fetch
from orchestration.feeds.http import FeedClient, FeedHttpError, FeedParseError, HttpResponse, RateLimiter

NOW = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)  # a Saturday: Tuesday 2024-02-27's report is out


def cot_row(day: str = "2024-02-27", code: str = "133741", oi: str = "24531", **extra) -> dict:
    names = {"133741": "BITCOIN - CHICAGO MERCANTILE EXCHANGE", "133742": "MICRO BITCOIN - CHICAGO MERCANTILE EXCHANGE"}
    return {"market_and_exchange_names": names.get(code, "SOMETHING ELSE"),
            "report_date_as_yyyy_mm_dd": f"{day}T00:00:00.000", "cftc_contract_market_code": code,
            "open_interest_all": oi, "lev_money_positions_long": "10234", "lev_money_positions_short": "15678",
            "dealer_positions_long_all": "120", **extra}


def client(transport) -> FeedClient:
    return FeedClient(cftc.PROVIDER, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)


def test_rows_parse_string_numbers_and_contract_sizes():
    body = json.dumps([cot_row(), cot_row(code="133742", oi="61230")]).encode()
    standard, micro = cftc.CmeOpenInterest().parse(body)
    assert standard == {"report_date": datetime(2024, 2, 27), "contract_market_code": "133741",
                        "market_name": "BITCOIN - CHICAGO MERCANTILE EXCHANGE", "open_interest_contracts": 24531.0,
                        "contract_size_btc": 5.0, "lev_money_long_contracts": 10234.0,
                        "lev_money_short_contracts": 15678.0}
    assert micro["contract_size_btc"] == 0.1
    assert standard["open_interest_contracts"] * standard["contract_size_btc"] == pytest.approx(122_655.0)
    assert micro["open_interest_contracts"] * micro["contract_size_btc"] == pytest.approx(6123.0)
    assert list(standard) == list(cftc.CmeOpenInterest.columns)


def test_optional_fields_may_be_missing_and_dates_may_be_plain():
    rec = cot_row()
    del rec["lev_money_positions_long"], rec["market_and_exchange_names"]
    rec["report_date_as_yyyy_mm_dd"] = "2024-02-27"
    (row,) = cftc.CmeOpenInterest().parse(json.dumps([rec]).encode())
    assert row["report_date"] == datetime(2024, 2, 27) and row["lev_money_long_contracts"] is None
    assert row["market_name"] is None


def test_empty_page_parses_to_no_rows():
    assert cftc.CmeOpenInterest().parse(b"[]") == []


@pytest.mark.parametrize("body, expected", [
    (b"<html>504 Gateway Time-out</html>", "not JSON"),
    (b'{"rows": []}', "JSON list"),
    (json.dumps([cot_row(code="133743")]).encode(), "cftc_contract_market_code '133743'"),
    (json.dumps([{k: v for k, v in cot_row().items() if k != "open_interest_all"}]).encode(),
     "missing field 'open_interest_all'"),
    (json.dumps([cot_row(oi="24,531")]).encode(), "unreadable value '24,531'"),
    (json.dumps([cot_row(oi="NaN")]).encode(), "not finite"),
    (json.dumps([cot_row(day="2024-02-27T15:00:00.000")]).encode(), "'report_date_as_yyyy_mm_dd'"),
    (json.dumps([cot_row(), cot_row(oi="1")]).encode(), "133741 reported twice for 2024-02-27"),
    (json.dumps(["x"]).encode(), "expected an object in row 0"),
])
def test_malformed_payloads_name_provider_and_problem(body, expected):
    with pytest.raises(FeedParseError) as err:
        cftc.CmeOpenInterest().parse(body)
    assert "[cftc/cme_open_interest]" in str(err.value) and expected in str(err.value)


def test_socrata_errors_are_reported_with_code_and_message():
    dataset = cftc.CmeOpenInterest()
    request = dataset.requests(Window(date(2024, 1, 1), date(2024, 2, 29)), NOW)[0]
    body = b'{"code":"query.compiler.malformed","error":true,"message":"Could not parse SoQL query"}'
    with pytest.raises(FeedHttpError, match="HTTP 400 on .*: query.compiler.malformed: Could not parse SoQL"):
        dataset.check(request, HttpResponse(400, body))
    with pytest.raises(FeedHttpError, match="query.compiler.malformed"):
        dataset.check(request, HttpResponse(200, body))  # an error object is an error whatever the status
    with pytest.raises(FeedHttpError, match="HTTP 404"):
        dataset.check(request, HttpResponse(404, b"<html>not found</html>"))
    dataset.check(request, HttpResponse(200, b"[]"))


def test_request_carries_the_soql_for_the_servable_days():
    (request,) = cftc.CmeOpenInterest().requests(Window(date(2024, 1, 1), date(2024, 3, 1)), NOW)
    assert request.url == "https://publicreporting.cftc.gov/resource/gpe5-46if.json"
    assert request.params == {
        "$where": "cftc_contract_market_code in('133741','133742') AND report_date_as_yyyy_mm_dd between "
                  "'2024-01-01T00:00:00.000' and '2024-02-28T23:59:59.999'",  # 02-29 is released 03-03
        "$order": "report_date_as_yyyy_mm_dd DESC, cftc_contract_market_code",
        "$limit": "1000", "$offset": "0"}
    assert cftc.CmeOpenInterest().requests(Window(date(2024, 3, 1), date(2024, 3, 5)), NOW) == []


def test_servable_rule_and_weekly_rows():
    dataset = cftc.CmeOpenInterest()
    assert dataset.rows_every_day is False and dataset.time_column == "report_date"
    friday = datetime(2024, 3, 1, 21, tzinfo=timezone.utc)
    assert dataset.servable(date(2024, 2, 27), friday)  # Tuesday, released that Friday
    assert not dataset.servable(date(2024, 2, 27), datetime(2024, 2, 29, 23, 59, tzinfo=timezone.utc))
    assert not dataset.servable(date(2024, 2, 29), friday)
    assert dataset.servable(date(2024, 2, 27), datetime(2024, 3, 1, 12))  # naive = UTC
    assert not dataset.servable(date(2017, 12, 16), NOW) and dataset.servable(date(2017, 12, 17), NOW)


def test_offset_paging_follows_full_pages_only():
    dataset = cftc.CmeOpenInterest()
    window = Window(date(2024, 1, 1), date(2024, 2, 28))
    first = dataset.requests(window, NOW)[0]
    full = dataset.parse(json.dumps([cot_row()]).encode()) * dataset.limit
    second = dataset.next_request(first, full, window)
    assert second.params["$offset"] == "1000" and second.params["$where"] == first.params["$where"]
    assert dataset.next_request(second, full, window).params["$offset"] == "2000"
    assert dataset.next_request(second, full[:999], window) is None
    assert dataset.next_request(second, [], window) is None


class PagingSocrata:
    """A minimal stand-in for the Socrata endpoint: a fixed, ordered row list sliced by $offset/$limit."""

    def __init__(self, rows: list[dict]):
        self.rows, self.calls = rows, []

    def send(self, request, timeout):
        p = request.params
        self.calls.append(dict(p))
        offset, limit = int(p["$offset"]), int(p["$limit"])
        return HttpResponse(200, json.dumps(self.rows[offset:offset + limit]).encode())


def test_fetch_pages_until_a_short_page_and_until_an_empty_one():
    dataset = cftc.CmeOpenInterest()
    dataset.limit = 3
    window = Window(date(2024, 1, 1), date(2024, 2, 28))
    days = [f"2024-02-{d:02d}" for d in (27, 20, 13, 6)]
    rows = [cot_row(day, code) for day in days for code in ("133741", "133742")][:7]
    transport = PagingSocrata(rows)
    pages = fetch(client(transport), dataset, window, NOW)
    assert [c["$offset"] for c in transport.calls] == ["0", "3", "6"]
    assert sum(len(r) for _, r in pages) == 7
    transport = PagingSocrata(rows[:6])  # exactly two full pages: a third, empty page ends the chain
    pages = fetch(client(transport), dataset, window, NOW)
    assert [c["$offset"] for c in transport.calls] == ["0", "3", "6"] and pages[-1][1] == []


def test_app_token_goes_in_a_header_and_is_redacted(monkeypatch):
    monkeypatch.setenv("CFTC_APP_TOKEN", "s3cret-token")
    transport = PagingSocrata([])
    c = client(transport)
    request = cftc.CmeOpenInterest().requests(Window(date(2024, 1, 1), date(2024, 2, 28)), NOW)[0]
    sent = c._authorised(request)
    assert sent.headers == {"X-App-Token": "s3cret-token"}
    assert "s3cret" not in c.display_url(request) and "s3cret" not in c.redact("token s3cret-token")


def test_cli_prints_parsed_rows_as_csv(tmp_path):
    payload = tmp_path / "cot.json"
    payload.write_text(json.dumps([cot_row(code="133742", oi="61230")]))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.cftc", "cme_open_interest", str(payload)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == ("report_date,contract_market_code,market_name,open_interest_contracts,contract_size_btc,"
                      "lev_money_long_contracts,lev_money_short_contracts")
    assert out[1] == ("2024-02-27 00:00:00,133742,MICRO BITCOIN - CHICAGO MERCANTILE EXCHANGE,61230.0,0.1,"
                      "10234.0,15678.0")
    bad = subprocess.run([sys.executable, "-m", "orchestration.feeds.cftc", "cme_open_interest", __file__],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "[cftc/cme_open_interest]" in bad.stderr


def test_a_report_outside_the_requested_dates_is_refused():
    dataset = cftc.CmeOpenInterest()
    window = Window(date(2024, 2, 20), date(2024, 2, 27))
    (request,) = dataset.requests(window, NOW)
    inside = dataset.parse(json.dumps([cot_row("2024-02-27"), cot_row("2024-02-20")]).encode())
    assert dataset.next_request(request, inside, window) is None
    outside = dataset.parse(json.dumps([cot_row("2023-02-28")]).encode())
    with pytest.raises(FeedParseError, match="report at 2023-02-28 00:00:00.000 lies outside the requested "
                                             r"\$where report dates"):
        dataset.next_request(request, outside, window)

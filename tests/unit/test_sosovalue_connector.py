"""SoSoValue connector: one POST for the us-btc-spot history with the key in its header (never stored), the
payload variants (``data`` as an object with ``list`` or as the list itself, numbers or numeric strings),
strict days and numbers, error codes surfaced, skipped without a key in live mode; through the sample world
its USD totals match the ETF flows except its deliberate revisions and missed days; the CLI."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from orchestration.feeds import sosovalue as ss
from orchestration.feeds.base import Window, fetch
from orchestration.feeds.http import FeedClient, FeedHttpError, FeedParseError, HttpResponse, RateLimiter
from orchestration.sample import sosovalue as lens
from orchestration.sample.etf import etf_flows
from orchestration.sample.transport import SampleTransport
from orchestration.sample.world import sample_world

NOW = datetime(2025, 9, 21, 0, 30, tzinfo=timezone.utc)
FLOWS = ss.Flows()
DAY = {"date": "2024-01-11", "totalNetInflow": 655300000.0, "totalValueTraded": 4.6e9, "totalNetAssets": 2.8e10,
       "cumNetInflow": 655300000.0}


def body(data, code=0, msg="success") -> bytes:
    return json.dumps({"code": code, "msg": msg, "data": data}).encode()


def client(transport) -> FeedClient:
    return FeedClient(ss.PROVIDER, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)


class Recorder:
    def __init__(self, response: HttpResponse):
        self.response, self.requests = response, []

    def send(self, request, timeout):
        self.requests.append(request)
        return self.response


def test_one_post_with_the_key_in_its_header_never_in_what_is_stored(monkeypatch):
    monkeypatch.setenv("SOSOVALUE_API_KEY", "sk-secret-123")
    recorder = Recorder(HttpResponse(200, body({"list": [DAY]})))
    c = client(recorder)
    ((page, rows),) = fetch(c, FLOWS, Window(date(2024, 1, 1), date(2024, 1, 31)), NOW)
    sent = recorder.requests[0]
    assert (sent.method, sent.url) == ("POST", ss.URL) and json.loads(sent.body) == {"type": "us-btc-spot"}
    assert sent.headers["x-soso-api-key"] == "sk-secret-123"
    assert "sk-secret" not in c.display_url(page.request) and "sk-secret" not in json.dumps(rows, default=str)
    assert rows == [{"date": date(2024, 1, 11), "total_net_inflow_usd": 655300000.0, "total_value_traded_usd": 4.6e9,
                     "total_net_assets_usd": 2.8e10, "cum_net_inflow_usd": 655300000.0}]
    assert FLOWS.requests(Window(date(2023, 12, 1), date(2024, 1, 10)), NOW) == []


def test_without_a_key_live_runs_skip_it_with_the_reason(monkeypatch):
    monkeypatch.delenv("SOSOVALUE_API_KEY", raising=False)
    reason = ss.PROVIDER.missing_key_reason()
    assert reason and "SOSOVALUE_API_KEY is not set" in reason and "other feeds run" in reason
    monkeypatch.setenv("SOSOVALUE_API_KEY", "k")
    assert ss.PROVIDER.missing_key_reason() is None


@pytest.mark.parametrize("payload", [
    body({"list": [DAY]}),
    body([DAY]),  # some versions return data as the list itself
    json.dumps({"code": "0", "data": {"list": [DAY]}}).encode(),
    body({"list": [{k: (str(v) if isinstance(v, float) else v) for k, v in DAY.items()}]}),  # numeric strings
])
def test_payload_variants_parse_to_the_same_rows(payload):
    assert FLOWS.parse(payload) == FLOWS.parse(body({"list": [DAY]}))


def test_optional_figures_may_be_null_and_repeated_identical_days_are_kept_once():
    sparse = {"date": "2024-01-12", "totalNetInflow": "-1.5e8", "totalValueTraded": None}
    rows = FLOWS.parse(body({"list": [DAY, sparse, DAY]}))
    assert [r["date"] for r in rows] == [date(2024, 1, 11), date(2024, 1, 12)]
    assert rows[1] == {"date": date(2024, 1, 12), "total_net_inflow_usd": -1.5e8, "total_value_traded_usd": None,
                       "total_net_assets_usd": None, "cum_net_inflow_usd": None}
    assert FLOWS.parse(body({"list": []})) == []


@pytest.mark.parametrize("payload, expected", [
    (body({"list": [{**DAY, "date": "2024/01/11"}]}), r"field 'date' in list\[0\] has unreadable value '2024/01/11'"),
    (body({"list": [{**DAY, "date": "2024-01-11T00:00:00Z"}]}), "field 'date' .* unreadable"),
    (body({"list": [{**DAY, "date": 1704931200000}]}), "field 'date' .* unreadable"),
    (body({"list": [{**DAY, "date": "2024-02-30"}]}), "field 'date' .* unreadable"),
    (body({"list": [{**DAY, "date": "2024-01-10"}]}), "before the first US spot bitcoin ETF day"),
    (body({"list": [{**DAY, "totalNetInflow": True}]}), "field 'totalNetInflow' .* unreadable value True"),
    (body({"list": [{**DAY, "totalNetInflow": "NaN"}]}), "field 'totalNetInflow' .* unreadable"),
    (body({"list": [{**DAY, "totalNetAssets": "1e"}]}), "field 'totalNetAssets' .* unreadable"),
    (body({"list": [{k: v for k, v in DAY.items() if k != "totalNetInflow"}]}), "missing field 'totalNetInflow'"),
    (body({"list": [DAY, {**DAY, "totalNetInflow": 1.0}]}), "2024-01-11 is listed twice with different figures"),
    (body({"list": [DAY]}, code=40001, msg="invalid apikey"), "error answer: error 40001: invalid apikey"),
    (body({"rows": [DAY]}), "'data' is an object without 'list'"),
    (json.dumps({"code": 0, "msg": "ok"}).encode(), "no 'data' in the answer"),
    (body("nope"), "expected the daily list .* as a JSON list, got str"),
    (body({"list": ["2024-01-11"]}), r"expected an object in list\[0\]"),
    (b"<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>",
     "payload is an HTML page"),
    (b"", "payload is empty"),
])
def test_malformed_payloads_name_the_provider_and_the_problem(payload, expected):
    with pytest.raises(FeedParseError, match=expected) as err:
        FLOWS.parse(payload)
    assert str(err.value).startswith("[sosovalue/flows]")


def test_error_codes_and_statuses_are_surfaced():
    request = FLOWS.requests(Window(date(2024, 1, 11), date(2024, 1, 11)), NOW)[0]
    with pytest.raises(FeedHttpError, match="HTTP 401 .* error 40001: bad key .*set SOSOVALUE_API_KEY"):
        FLOWS.check(request, HttpResponse(401, body(None, 40001, "bad key")))
    with pytest.raises(FeedHttpError, match="HTTP 200 .* error 50000: busy"):
        FLOWS.check(request, HttpResponse(200, body(None, 50000, "busy")))
    with pytest.raises(FeedHttpError, match="HTTP 404 .*not json"):
        FLOWS.check(request, HttpResponse(404, b"not json"))
    FLOWS.check(request, HttpResponse(200, body({"list": []})))


def test_the_sample_world_answers_in_usd_with_its_revisions_and_missed_days():
    world = sample_world()
    ((_, rows),) = fetch(client(SampleTransport(now=NOW)), FLOWS, Window(date(2024, 1, 11), date(2025, 9, 20)), NOW)
    by_day = {r["date"]: r for r in rows}
    total = etf_flows(world).total_usd
    revised, missed = lens.revision_and_missed_days(world, date(2024, 1, 11), date(2025, 9, 19))
    assert revised and missed and not set(revised) & set(missed)
    assert set(by_day) == {d.date() for d in total[: "2025-09-19"].index} - set(missed)
    for day, row in by_day.items():
        exact = total[str(day)]
        if day in revised:
            assert abs(row["total_net_inflow_usd"] - exact) > 15e6
        else:
            assert row["total_net_inflow_usd"] == pytest.approx(exact, abs=0.01)
    assert all(1e9 < r["total_net_assets_usd"] < 1e12 and r["total_value_traded_usd"] > 0 for r in rows)
    ordered = sorted(by_day)
    assert by_day[ordered[-1]]["cum_net_inflow_usd"] == pytest.approx(
        sum(by_day[d]["total_net_inflow_usd"] for d in ordered), rel=1e-9)


def test_the_sample_lens_speaks_sosovalue_errors():
    transport = SampleTransport(now=NOW)
    wrong = ss.Flows.requests(FLOWS, Window(date(2024, 1, 11), date(2024, 1, 11)), NOW)[0]
    other = type(wrong)(wrong.method, wrong.url, {}, wrong.headers, json.dumps({"type": "us-eth-spot"}).encode())
    answer = transport.send(other, 5)
    assert answer.status == 200 and json.loads(answer.body)["code"] == 40001
    with pytest.raises(FeedParseError, match="error 40001"):
        FLOWS.parse(answer.body)
    assert transport.send(type(wrong)("GET", wrong.url), 5).status == 404


def test_cli_prints_parsed_rows_as_csv(tmp_path):
    saved = tmp_path / "sosovalue.json"
    saved.write_bytes(body([DAY]))
    out = subprocess.run([sys.executable, "-m", "orchestration.feeds.sosovalue", "flows", str(saved)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["date,total_net_inflow_usd,total_value_traded_usd,total_net_assets_usd,cum_net_inflow_usd",
                   "2024-01-11,655300000.0,4600000000.0,28000000000.0,655300000.0"]

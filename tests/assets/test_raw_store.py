"""The landing mechanism: verbatim payloads + manifest, typed raw tables, idempotent partition replace."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest

from orchestration.feeds import binance
from orchestration.feeds.base import Window
from orchestration.feeds.http import FeedClient, FeedError, FeedParseError, HttpResponse, ProviderSpec, RateLimiter
from orchestration.raw_store import MANIFEST_TABLE, land

NOW = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)


class FundingServer:
    """Serves 3 settlements a day from 2021-01-01; `corrupt` maps a day to a replacement body."""

    def __init__(self, corrupt: dict[date, bytes] | None = None, missing: set[date] = frozenset()):
        self.corrupt, self.missing = corrupt or {}, missing

    def send(self, request, timeout):
        start, end = int(request.params["startTime"]), int(request.params["endTime"])
        rows, t = [], datetime(2021, 1, 1, tzinfo=timezone.utc)
        while t.timestamp() * 1000 <= end and len(rows) < int(request.params["limit"]):
            ms = int(t.timestamp() * 1000)
            if ms >= start and t.date() not in self.missing:
                if t.date() in self.corrupt:
                    return HttpResponse(200, self.corrupt[t.date()])
                rows.append({"symbol": "BTCUSDT", "fundingTime": ms + 1, "fundingRate": f"{0.0001 + t.day * 1e-6:.8f}",
                             "markPrice": "40000.00000000"})
            t += timedelta(hours=8)
        return HttpResponse(200, json.dumps(rows).encode())


def client(transport, spec=binance.PROVIDER):
    return FeedClient(spec, transport, rate_limiter=RateLimiter(0), sleep=lambda s: None)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield connection
    connection.close()


def table(con, sql="SELECT * FROM raw.binance__funding ORDER BY funding_time"):
    return con.execute(sql).fetchall()


def test_lands_payloads_verbatim_with_manifest_and_typed_rows(tmp_path, con):
    window = Window(date(2021, 1, 1), date(2021, 1, 10))
    result = land(binance.Funding(), window, client(FundingServer()), tmp_path / "raw", con, NOW)
    assert result.rows == 30 and result.pages == 1 and result.empty_days == []
    (path, sha, url, status), = con.execute(f"SELECT path, sha256, url, http_status FROM {MANIFEST_TABLE}").fetchall()
    body = open(path, "rb").read()
    assert hashlib.sha256(body).hexdigest() == sha and status == 200
    assert "fundingRate" in url and json.loads(body)[0]["fundingTime"] == 1609459200001
    rows = table(con, "SELECT partition_date, funding_time, payload_sha256 FROM raw.binance__funding ORDER BY 2")
    assert rows[0] == (date(2021, 1, 1), datetime(2021, 1, 1), sha)
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'binance__funding'").fetchall())
    assert types["funding_time"] == "TIMESTAMP" and types["funding_rate"] == "DOUBLE"


def test_rerunning_a_partition_replaces_exactly_that_partition(tmp_path, con):
    raw = tmp_path / "raw"
    land(binance.Funding(), Window(date(2021, 1, 1), date(2021, 1, 10)), client(FundingServer()), raw, con, NOW)
    before = table(con)
    land(binance.Funding(), Window(date(2021, 1, 5), date(2021, 1, 5)), client(FundingServer()), raw, con, NOW)
    after = table(con)
    strip = lambda rows: [r[:-1] for r in rows]  # the re-landed day comes from a new (identical) payload
    assert strip(after) == strip(before)
    assert len(after) == 30
    land(binance.Funding(), Window(date(2021, 1, 5), date(2021, 1, 5)), client(FundingServer()), raw, con, NOW)
    assert table(con) == after  # the same run twice changes nothing at all
    assert con.execute(f"SELECT count(*) FROM {MANIFEST_TABLE}").fetchone()[0] == 2


def test_malformed_payload_is_kept_and_error_names_provider_and_partition(tmp_path, con):
    bad = b'[{"symbol":"BTCUSDT","fundingTime":1609459200000,"fundingRate":"oops"}]'
    window = Window(date(2021, 1, 1), date(2021, 1, 3))
    with pytest.raises(FeedParseError) as err:
        land(binance.Funding(), window, client(FundingServer(corrupt={date(2021, 1, 1): bad})),
             tmp_path / "raw", con, NOW)
    assert "[binance/funding partition 2021-01-01..2021-01-03]" in str(err.value)
    assert "'fundingRate'" in str(err.value)
    (path,) = con.execute(f"SELECT path FROM {MANIFEST_TABLE}").fetchone()
    assert open(path, "rb").read() == bad


def test_an_empty_day_is_a_clear_error_and_other_days_still_land(tmp_path, con):
    window = Window(date(2021, 1, 1), date(2021, 1, 3))
    with pytest.raises(FeedError) as err:
        land(binance.Funding(), window, client(FundingServer(missing={date(2021, 1, 2)})), tmp_path / "raw", con, NOW)
    assert "partition 2021-01-01..2021-01-03" in str(err.value) and "2021-01-02" in str(err.value)
    assert con.execute("SELECT count(*) FROM raw.binance__funding").fetchone()[0] == 6


def test_api_keys_never_reach_manifest_or_payload_paths(tmp_path, con, monkeypatch):
    monkeypatch.setenv("BINANCE_TEST_KEY", "topsecret123")
    spec = ProviderSpec("binance", api_key_env="BINANCE_TEST_KEY", api_key_param="apiKey")
    land(binance.Funding(), Window(date(2021, 1, 1), date(2021, 1, 1)), client(FundingServer(), spec),
         tmp_path / "raw", con, NOW)
    manifest = con.execute(f"SELECT * FROM {MANIFEST_TABLE}").fetchall()
    assert "topsecret123" not in repr(manifest) and "apiKey=***" in repr(manifest)


class Failing:
    def send(self, request, timeout):
        return HttpResponse(500, b"internal error")


def statuses(con):
    return dict(con.execute("SELECT partition_date, status FROM raw._landing_status ORDER BY 1").fetchall())


def test_every_day_gets_a_status_and_a_failed_refetch_keeps_earlier_rows(tmp_path, con):
    raw, window = tmp_path / "raw", Window(date(2021, 1, 1), date(2021, 1, 3))
    land(binance.Funding(), window, client(FundingServer()), raw, con, NOW)
    assert set(statuses(con).values()) == {"landed"}
    before = table(con)
    failing = FeedClient(binance.PROVIDER, Failing(), rate_limiter=RateLimiter(0), sleep=lambda s: None, max_retries=1)
    result = land(binance.Funding(), window, failing, raw, con, NOW, raise_on_error=False)
    assert "HTTP 500" in str(result.error) and "partition 2021-01-01..2021-01-03" in str(result.error)
    assert set(statuses(con).values()) == {"failed"}
    assert table(con) == before  # a failed re-fetch does not destroy what had landed


class FirstDayOnly(binance.Funding):
    """A dataset whose provider serves only 2021-01-01 (as a short-history provider would)."""

    def servable(self, day, now):
        return day == date(2021, 1, 1)


def test_days_a_provider_no_longer_serves_keep_their_rows_and_status(tmp_path, con):
    raw = tmp_path / "raw"
    land(binance.Funding(), Window(date(2021, 1, 1), date(2021, 1, 2)), client(FundingServer()), raw, con, NOW)
    landed_at = con.execute("SELECT landed_at FROM raw._landing_status WHERE partition_date = '2021-01-02'").fetchone()
    result = land(FirstDayOnly(), Window(date(2021, 1, 1), date(2021, 1, 3)), client(FundingServer()), raw, con, NOW)
    assert result.error is None
    # 01-02 holds the earlier landing's rows, so it keeps that landing's status; 01-03 never had any
    assert statuses(con) == {date(2021, 1, 1): "landed", date(2021, 1, 2): "landed", date(2021, 1, 3): "unavailable"}
    assert con.execute("SELECT landed_at FROM raw._landing_status WHERE partition_date = '2021-01-02'").fetchone() \
        == landed_at
    assert con.execute("SELECT count(*) FROM raw.binance__funding WHERE partition_date = '2021-01-02'").fetchone()[0] == 3


def test_days_landed_long_after_they_ended_are_settled(con, tmp_path):
    from orchestration.raw_store import STATUS_TABLE, settled_days

    window = Window(date(2024, 2, 20), date(2024, 2, 29))
    land(binance.Funding(), window, client(FundingServer()), tmp_path / "raw", con, NOW)
    # asked as of 2024-03-02 00:30 (the feeds' clock, not the wall clock): only the days that had ended 8 days
    # before (<= 2024-02-22) are settled
    assert con.execute(f"SELECT DISTINCT as_of FROM {STATUS_TABLE}").fetchall() == [(datetime(2024, 3, 2, 0, 30),)]
    assert settled_days(con, binance.Funding(), window, 8) == {date(2024, 2, 20), date(2024, 2, 21), date(2024, 2, 22)}
    con.execute(f"UPDATE {STATUS_TABLE} SET as_of = TIMESTAMP '2025-01-01' WHERE provider = 'binance'")
    assert settled_days(con, binance.Funding(), window, 8) == set(window.days())  # asked long after: all settled
    con.execute(f"UPDATE {STATUS_TABLE} SET status = 'failed' WHERE partition_date = DATE '2024-02-21'")
    assert date(2024, 2, 21) not in settled_days(con, binance.Funding(), window, 8)  # failed days are retried
    con.execute(f"UPDATE {STATUS_TABLE} SET status = 'unavailable' WHERE partition_date = DATE '2024-02-21'")
    assert date(2024, 2, 21) in settled_days(con, binance.Funding(), window, 8)  # beyond a provider's history


def test_the_daily_run_finds_none_of_its_days_settled_and_a_day_settles_after_settle_days(con, tmp_path):
    """The schedule's length and the settling age are two rules: yesterday's scheduled run asked for every day
    of today's window too recently for any to be settled, so today's run re-lands all of them; a day asked
    for ``SETTLE_DAYS`` after it ended is settled."""
    from orchestration.partitions import SCHEDULE_DAYS, scheduled_window
    from orchestration.raw_store import SETTLE_DAYS, settled_days

    yesterday = scheduled_window(date(2024, 2, 29))
    land(binance.Funding(), yesterday, client(FundingServer()), tmp_path / "raw", con,
         datetime(2024, 3, 1, 0, 30, tzinfo=timezone.utc))
    today = scheduled_window(date(2024, 3, 1))
    assert len(today.days()) == SCHEDULE_DAYS and settled_days(con, binance.Funding(), today) == set()
    day = Window(date(2024, 1, 10), date(2024, 1, 10))
    ended = datetime(2024, 1, 11, tzinfo=timezone.utc)
    land(binance.Funding(), day, client(FundingServer()), tmp_path / "raw", con,
         ended + timedelta(days=SETTLE_DAYS, minutes=-1))
    assert settled_days(con, binance.Funding(), day) == set()  # a minute short of the settling age
    land(binance.Funding(), day, client(FundingServer()), tmp_path / "raw", con, ended + timedelta(days=SETTLE_DAYS))
    assert settled_days(con, binance.Funding(), day) == {day.start}

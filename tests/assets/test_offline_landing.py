"""Live landing on a machine whose provider hosts do not resolve: one attempt per feed, the days recorded failed
with the cause in words, and once the machine looks offline the other feeds are not asked. The network is faked
at ``requests``' adapter (the test does not depend on the machine really being offline)."""
from __future__ import annotations

import logging
import socket
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import dagster as dg
import duckdb
import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError

from orchestration import resources
from orchestration.assets.landing import landing_asset
from orchestration.config import latest_complete_day
from orchestration.days import Window
from orchestration.feeds import binance, bybit, deribit, dydx, okx
from orchestration.feeds.http import Reachability
from orchestration.partitions import partition_key, window_tags
from orchestration.resources import FeedTransportResource, WarehouseResource

FEEDS = [binance.DATASETS["funding"], bybit.DATASETS["funding"], okx.DATASETS["funding"],
         deribit.DATASETS["funding"], dydx.DATASETS["funding"]]


@pytest.fixture
def attempts(monkeypatch):
    """Every request ``requests`` would send fails to resolve its host; counted per host."""
    counted: Counter = Counter()

    def send(self, request, **kwargs):
        host = urlsplit(request.url).hostname
        counted[host] += 1
        cause = socket.gaierror(-2, "Name or service not known")
        error = NameResolutionError(host, None, cause)
        error.__cause__ = cause
        raise requests.exceptions.ConnectionError(MaxRetryError(None, request.url, error), request=request)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return counted


def land_live(tmp_path, reachability: Reachability, monkeypatch):
    monkeypatch.setattr(resources, "LIVE_REACHABILITY", reachability)
    month_end = latest_complete_day().replace(day=1) - timedelta(days=1)  # a month that has ended
    month = month_end.replace(day=1)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([landing_asset(d) for d in FEEDS], partition_key=partition_key(month), instance=instance,
                            tags=window_tags(Window(month, month_end)),
                            resources={"warehouse": WarehouseResource(warehouse_dir=str(tmp_path / "wh")),
                                       "feeds": FeedTransportResource(mode="live")})
    con = duckdb.connect(str(tmp_path / "wh" / "leverage.duckdb"), read_only=True)
    try:
        statuses = con.execute("SELECT provider, status, any_value(error), count(*) FROM raw._landing_status "
                               "WHERE partition_date >= ? GROUP BY 1, 2", [month]).fetchall()
    finally:
        con.close()
    meta = {e.asset_key.path[-1]: {k: v.value for k, v in e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()}
    warnings = [e.user_message for e in instance.all_logs(result.run_id) if e.level >= logging.WARNING]
    return result, {row[0]: row[1:] for row in statuses}, meta, warnings


def test_one_attempt_per_feed_and_the_days_failed_with_the_cause(tmp_path, attempts, monkeypatch):
    result, statuses, meta, warnings = land_live(tmp_path, Reachability(offline_after=99), monkeypatch)
    assert result.success  # one feed failing never fails the run
    assert attempts == {"fapi.binance.com": 1, "api.bybit.com": 1, "www.okx.com": 1, "www.deribit.com": 1,
                        "indexer.dydx.trade": 1}
    for dataset in FEEDS:
        status, error, days = statuses[dataset.provider.name]
        host = {"binance": "fapi.binance.com", "bybit": "api.bybit.com", "okx": "www.okx.com",
                "deribit": "www.deribit.com", "dydx": "indexer.dydx.trade"}[dataset.provider.name]
        assert status == "failed" and days >= 28 and f"cannot resolve {host}: no network?" in error
        feed = meta[f"{dataset.provider.name}__funding"]
        assert feed["feed_status"] == "failed" and feed["reason"] == f"cannot resolve {host}: no network?"
    assert warnings == []  # each feed's outcome is its materialization, not a log line as well


def test_once_three_providers_do_not_resolve_the_others_are_not_asked(tmp_path, attempts, monkeypatch):
    result, statuses, meta, warnings = land_live(tmp_path, Reachability(), monkeypatch)
    assert result.success and sum(attempts.values()) == 3  # binance, bybit, deribit (in that order); then none
    assert len(warnings) == 1 and "this machine looks offline" in warnings[0] and "LC_MODE=sample" in warnings[0]
    not_asked = [name for name, (status, error, _) in statuses.items() if "not asked" in (error or "")]
    assert sorted(not_asked) == ["dydx", "okx"]
    assert all(status == "failed" for status, _, _ in statuses.values())
    assert meta["okx__funding"]["reason"].startswith("not asked: the machine looks offline")

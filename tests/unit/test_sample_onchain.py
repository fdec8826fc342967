"""The sample world's on-chain and stablecoin series (``orchestration.sample.onchain``) and the four lenses that
serve them: levels that differ by provider methodology, CoinMetrics' coverage breaks (a jump its flows do not
show), stablecoin supply moving with the market, and each provider's own formats, paging and errors."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from orchestration.feeds.http import HttpRequest
from orchestration.sample.onchain import COINMETRICS_BREAKS, onchain
from orchestration.sample.transport import SampleTransport
from orchestration.sample.world import sample_world

NOW = datetime(2024, 3, 2, 0, 30, tzinfo=timezone.utc)
SPAN = slice("2021-01-01", "2026-11-24")  # a make-run window


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    return onchain(sample_world()).set_index("date")


def answer(url: str, now: datetime = NOW, **params):
    response = SampleTransport(now=now).send(HttpRequest("GET", url, {k: str(v) for k, v in params.items()}), 10)
    return response.status, json.loads(response.body)


def test_deterministic_and_apart_from_the_other_series(daily):
    world = sample_world()
    columns = list(world.hourly.columns)
    again = onchain(world)
    assert again is onchain(world) and list(world.hourly.columns) == columns  # cached; the world untouched
    assert daily.index[0] == pd.Timestamp("2020-01-01") and daily.index[-1] == pd.Timestamp("2030-12-31")
    assert daily.notna().all().all()


def test_levels_differ_by_methodology_changes_do_not(daily):
    """Glassnode labels ~78 % of CryptoQuant's wallets, CoinMetrics ~46 % in 2021 and ~100 % after its 2023
    break; their daily changes agree within the reconciliation's tolerance on most days."""
    d = daily[SPAN]
    assert (d.glassnode_balance_btc / d.reserve_btc).between(0.72, 0.84).all()
    assert (d.coinmetrics_sply_ex_btc / d.reserve_btc)["2021"].between(0.42, 0.56).all()
    assert (d.coinmetrics_sply_ex_btc / d.reserve_btc)["2024"].between(0.93, 1.1).all()
    changes = pd.DataFrame({c: d[c].diff() for c in ("reserve_btc", "glassnode_balance_btc",
                                                     "coinmetrics_sply_ex_btc")}).iloc[1:]
    spread = changes.max(axis=1) - changes.min(axis=1)
    agreed = spread <= 10_000 + 0.5 * changes.abs().max(axis=1)
    assert 0.8 < agreed.mean() < 0.97


def test_coinmetrics_coverage_breaks_are_jumps_its_flows_do_not_show(daily):
    level = daily.coinmetrics_sply_ex_btc
    flows = daily.coinmetrics_flow_in_btc - daily.coinmetrics_flow_out_btc
    unexplained = ((level.diff() - flows).abs() / level.shift())[SPAN]
    breaks = sorted(unexplained[unexplained > 0.05].index.strftime("%Y-%m-%d"))
    assert breaks == [day for day, _ in COINMETRICS_BREAKS] == ["2021-04-29", "2023-05-16"]
    assert unexplained.drop(pd.to_datetime(breaks)).max() < 0.03  # otherwise flows explain the level
    assert level["2023-05-16"] / level["2023-05-15"] > 2.2 and daily.coinmetrics_break.sum() == 2
    assert (daily.coinmetrics_flow_in_btc > 0).all() and (daily.coinmetrics_flow_out_btc > 0).all()


def test_stablecoin_supply_grows_and_contracts_with_the_market(daily):
    """30-day supply growth against the 30-day BTC return: correlated (sample 0.30; real DefiLlama against the
    world's anchored price 0.15); the 2022 bear market contracts it, 2021 and 2024-25 grow it."""
    d = daily[SPAN]
    growth, market = np.log(d.stablecoin_supply_usd).diff(30), np.log(d.close_usd).diff(30)
    assert growth.corr(market) > 0.15
    yearly = d.stablecoin_supply_usd.resample("YE").last()
    assert yearly["2021"].iat[0] > 2 * d.stablecoin_supply_usd.iat[0]
    assert yearly["2022"].iat[0] < yearly["2021"].iat[0] and yearly["2025"].iat[0] > yearly["2023"].iat[0]
    assert (d.stablecoin_supply_usd / d.stablecoin_circulating - 1).abs().max() < 0.001  # pegs hold


def test_mvrv_nupl_and_the_leverage_ratio_derive_from_the_world(daily):
    d = daily[SPAN]
    assert (d.mvrv == d.close_usd / d.realized_price_usd).all()
    assert np.allclose(d.glassnode_nupl, 1 - 1 / d.glassnode_mvrv)
    assert ((d.glassnode_mvrv / d.mvrv) - 1).abs().max() < 0.03
    assert d.estimated_leverage_ratio.between(0.05, 0.4).all()
    assert d.supply_btc.is_monotonic_increasing and d.supply_btc.iat[-1] < 21e6


# -- the lenses -----------------------------------------------------------------------------------------------------
def test_glassnode_serves_ended_days_in_seconds_and_refuses_what_it_does_not_serve():
    status, points = answer("https://api.glassnode.com/v1/metrics/market/mvrv", a="BTC", i="24h",
                            s=1_709_164_800, u=1_709_424_000)
    assert status == 200 and [p["t"] for p in points] == [1_709_164_800, 1_709_251_200]  # 03-02 is in progress
    assert all(isinstance(p["v"], float) for p in points)
    assert answer("https://api.glassnode.com/v1/metrics/market/mvrv", i="1h")[0] == 400
    assert answer("https://api.glassnode.com/v1/metrics/market/mvrv", s=1_709_164_800_000)[1]["error"].startswith("'s'")
    assert answer("https://api.glassnode.com/v1/metrics/market/price")[0] == 404


def test_cryptoquant_answers_newest_first_up_to_the_limit():
    status, payload = answer("https://api.cryptoquant.com/v1/btc/exchange-flows/reserve", exchange="all_exchange",
                             window="day", **{"from": "20240101", "to": "20240301", "limit": 5})
    data = payload["result"]["data"]
    assert status == 200 and payload["status"] == {"code": 200, "message": "success"}
    assert [r["date"] for r in data] == ["2024-03-01", "2024-02-29", "2024-02-28", "2024-02-27", "2024-02-26"]
    assert set(data[0]) == {"date", "reserve", "reserve_usd"}
    status, payload = answer("https://api.cryptoquant.com/v1/btc/exchange-flows/reserve", exchange="binance")
    assert status == 400 and payload["status"]["code"] == 400


def test_coinmetrics_pages_with_tokens_from_either_end_and_serves_text_numbers():
    url = "https://community-api.coinmetrics.io/v4/timeseries/asset-metrics"
    common = {"assets": "btc", "metrics": "PriceUSD,SplyExNtv", "frequency": "1d", "start_time": "2024-02-01",
              "end_time": "2024-02-29", "page_size": 20}
    _, first = answer(url, **common, paging_from="start")
    _, last = answer(url, **common, paging_from="start", next_page_token=first["next_page_token"])
    assert [r["time"][:10] for r in first["data"]][:2] == ["2024-02-01", "2024-02-02"] and "next_page_token" not in last
    assert len(first["data"]) + len(last["data"]) == 29 and first["next_page_url"].startswith(url)
    assert all(isinstance(r["SplyExNtv"], str) and r["time"].endswith("T00:00:00.000000000Z") for r in first["data"])
    _, newest = answer(url, **common)  # paging from the end: the latest page first, ascending within it
    assert newest["data"][-1]["time"][:10] == "2024-02-29" and newest["data"][0]["time"][:10] == "2024-02-10"
    for params in ({"page_size": 10_001}, {"metrics": "PriceUSD,CapRealUSD"}, {"assets": "eth"},
                   {"next_page_token": "bm9wZTox"}):
        status, payload = answer(url, **{**common, **params})
        assert status == 400 and payload["error"]["type"] == "bad_parameter", params


def test_defillama_serves_the_whole_chart_with_text_dates_up_to_today():
    status, points = answer("https://stablecoins.llama.fi/stablecoincharts/all")
    assert status == 200 and points[0]["date"] == "1577836800" and points[-1]["date"] == "1709337600"  # 03-02
    assert all(isinstance(p["date"], str) for p in points)
    assert set(points[-1]["totalCirculatingUSD"]) == {"peggedUSD", "peggedEUR"}
    assert answer("https://stablecoins.llama.fi/stablecoincharts/Ethereum")[0] == 404

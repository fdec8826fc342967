"""Adding Hyperliquid to the sample world (its OI carved out of the other venues', its own random stream) left
every existing lens byte-identical: the hashes below were computed with the code as it was before Hyperliquid
existed (the same requests at the same clocks), for a spread of days and every existing provider with numbers."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import numpy as np
import pytest

from orchestration.feeds.http import HttpRequest
from orchestration.sample.transport import SampleTransport
from orchestration.sample.world import HYPERLIQUID_MAX_OF_OTHERS, _carve

D_MS, D_S = 86_400_000, 86_400
CG = "https://open-api-v4.coinglass.com/api/futures"
CA = "https://api.coinalyze.net/v1"
FIVE = "BTCUSDT_PERP.A,BTCUSDT.6,BTCUSDT_PERP.3,BTCUSD_PERP.2,BTC-USD_PERP.8"
# computed before Hyperliquid was added (commit d6dc05e's sample world and lenses)
BEFORE_HYPERLIQUID = {
    "2020-03-12": "cf9b486d7fdb380c54cf3560d31a756de669e3ed634160fbe9819257c166c005",
    "2021-05-19": "4d40d43c25c10d40eb14e848521a62cc2e2639f44bf38c5f9b9eaee373d6d793",
    "2022-11-09": "6ae751b42ae1e755fc135e62092a76ca92541fc0e115c9da8d49607ee1880465",
    "2023-06-14": "8cef2e77e78fc657ea678ac17bb7709794b63315e6163ecbd850a9bb67c936cb",
    "2024-08-05": "8182f7c6c17fd2fc145d298947883854884eea5d36299962467a6bc3cc0e35c9",
    "2025-06-15": "823b8f8a0f7f5d8c3d57ef3561f29ca954f0a7eecdfbed9fa0fe861479be5f67",
    "2025-10-10": "7a770067e5be2a9a2834a5da009c946373614db5b4845e6e5bcd89b38c6eee47",
    "2026-03-01": "79e786df627614ef5f9429fb2d37b95214bb684fe497c634a7d2e4f8bdd71b63",
}


def _ymd(ms: int, fmt: str = "%Y-%m-%d") -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime(fmt)


def requests_for(day: str) -> tuple[datetime, list[tuple[str, dict]]]:
    """The clock (two days after ``day``) and one request per existing lens endpoint around ``day``."""
    t = int(datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp())
    ms, now = t * 1000, datetime.fromtimestamp(t + 2 * D_S + 5_000, tz=timezone.utc)
    start, end, lo = ms - 3 * D_MS, ms + D_MS, ms - 2 * D_MS
    window = {"start_time": start, "end_time": end}
    bars = {"symbols": FIVE, "interval": "daily", "from": t - 5 * D_S, "to": t + D_S}
    return now, [
        (f"{CG}/open-interest/aggregated-history", {"symbol": "BTC", "interval": "4h", **window}),
        (f"{CG}/open-interest/aggregated-history", {"symbol": "BTC", "interval": "1d", "unit": "coin",
                                                    "start_time": start - 20 * D_MS}),
        (f"{CG}/funding-rate/oi-weight-history", {"symbol": "BTC", "interval": "4h", **window}),
        (f"{CG}/liquidation/aggregated-history", {"symbol": "BTC", "interval": "1d", "start_time": start,
                                                  "exchange_list": "Binance,OKX,Bybit,Deribit,dYdX"}),
        (f"{CG}/liquidation/aggregated-heatmap/model2", {"symbol": "BTC", "range": "3d"}),
        (f"{CA}/open-interest-history", {**bars, "convert_to_usd": "true"}),
        (f"{CA}/open-interest-history", {**bars, "interval": "4hour", "from": t - D_S}),
        (f"{CA}/funding-rate-history", bars),
        (f"{CA}/liquidation-history", {**bars, "convert_to_usd": "true"}),
        ("https://fapi.binance.com/fapi/v1/fundingRate", {"symbol": "BTCUSDT", "startTime": start, "endTime": end}),
        ("https://fapi.binance.com/futures/data/openInterestHist", {"symbol": "BTCUSDT", "period": "1h",
                                                                    "limit": 200}),
        ("https://api.binance.com/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1h", "startTime": lo,
                                                   "endTime": end}),
        (f"https://data.binance.vision/data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-{_ymd(ms)}.zip", {}),
        ("https://www.okx.com/api/v5/public/funding-rate-history", {"instId": "BTC-USDT-SWAP", "after": end}),
        ("https://www.okx.com/api/v5/rubik/stat/contracts/open-interest-volume", {"ccy": "BTC", "period": "1D",
                                                                                  "begin": start, "end": end}),
        ("https://api.bybit.com/v5/market/funding/history", {"category": "linear", "symbol": "BTCUSDT",
                                                             "startTime": start, "endTime": end}),
        ("https://api.bybit.com/v5/market/open-interest", {"category": "linear", "symbol": "BTCUSDT",
                                                           "intervalTime": "1h", "startTime": lo, "endTime": end}),
        ("https://www.deribit.com/api/v2/public/get_funding_rate_history", {"instrument_name": "BTC-PERPETUAL",
                                                                           "start_timestamp": lo,
                                                                           "end_timestamp": end}),
        ("https://www.deribit.com/api/v2/public/get_book_summary_by_instrument", {"instrument_name": "BTC-PERPETUAL"}),
        ("https://indexer.dydx.trade/v4/historicalFunding/BTC-USD", {"effectiveBeforeOrAt": _ymd(end) + "T00:00:00Z"}),
        ("https://indexer.dydx.trade/v4/candles/perpetualMarkets/BTC-USD", {"resolution": "1HOUR",
                                                                            "fromISO": _ymd(lo) + "T00:00:00Z"}),
        ("https://api.glassnode.com/v1/metrics/distribution/balance_exchanges", {"a": "BTC", "s": t - 30 * D_S,
                                                                                 "u": t}),
        ("https://api.glassnode.com/v1/metrics/market/mvrv", {"a": "BTC", "s": t - 30 * D_S, "u": t}),
        ("https://api.cryptoquant.com/v1/btc/market-data/estimated-leverage-ratio",
         {"exchange": "all_exchange", "from": _ymd(start - 30 * D_MS, "%Y%m%d"), "to": _ymd(ms, "%Y%m%d")}),
        ("https://api.cryptoquant.com/v1/btc/exchange-flows/reserve",
         {"exchange": "all_exchange", "from": _ymd(start - 30 * D_MS, "%Y%m%d"), "to": _ymd(ms, "%Y%m%d")}),
        ("https://community-api.coinmetrics.io/v4/timeseries/asset-metrics",
         {"assets": "btc", "metrics": "PriceUSD,CapMVRVCur,SplyExNtv,FlowInExNtv",
          "start_time": _ymd(start - 30 * D_MS), "end_time": _ymd(ms), "page_size": 100}),
        ("https://stablecoins.llama.fi/stablecoincharts/all", {}),
    ]


@pytest.mark.parametrize("day", sorted(BEFORE_HYPERLIQUID))
def test_existing_lenses_answer_as_before_hyperliquid(day):
    now, requests = requests_for(day)
    transport = SampleTransport(now=now)
    digest = hashlib.sha256()
    for url, params in requests:
        response = transport.send(HttpRequest("GET", url, {k: str(v) for k, v in params.items()}), 5.0)
        digest.update(f"{url} {response.status} {len(response.body)}\n".encode())
        digest.update(response.body)
    assert digest.hexdigest() == BEFORE_HYPERLIQUID[day]


def test_the_carve_keeps_the_other_venues_total_exact():
    rng = np.random.default_rng(7)
    outside = np.exp(rng.normal(12, 1, 100_000))
    rest, carved = _carve(outside, outside * rng.uniform(0, HYPERLIQUID_MAX_OF_OTHERS, outside.size))
    assert np.array_equal(rest + carved, outside) and (carved >= 0).all() and (rest > 0).all()

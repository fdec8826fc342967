"""Every connector the pipeline lands, in one place: the definitions build their assets from it and the gates
read each raw table's structure (``Dataset.columns``, ``Dataset.nullable``) from it, without importing Dagster."""
from __future__ import annotations

from orchestration.feeds import (binance, bybit, cftc, coinalyze, coinglass, coinmetrics, cryptoquant, defillama,
                                 deribit, dydx, farside, glassnode, hyperliquid, okx, sosovalue)
from orchestration.feeds.base import Dataset

# connector modules; each exposes DATASETS
FEEDS = (binance, okx, bybit, deribit, dydx, hyperliquid, cftc, coinglass, coinalyze, farside, sosovalue, glassnode,
         cryptoquant, coinmetrics, defillama)


def datasets() -> list[Dataset]:
    return [dataset for feed in FEEDS for dataset in feed.DATASETS.values()]

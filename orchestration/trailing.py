"""How much history before a window's first day the models' trailing windows read, per dataset.

The mart evaluates its conditions on a window's first day too, so the raw tables must hold the trailing days
those conditions look back over: funding's 365-day P90 (dbt var ``funding_lookback_days``), OI's 90-day high
(``oi_local_high_window_days``) and the cluster estimate's 30 days, the price layer's 50-day average. Landing
reads these days once (a day that already has a landing status is not asked for again), so a daily refresh
costs nothing more. The figures mirror dbt_project.yml's vars; tests/assets/test_trailing_history.py holds them
equal.
"""
from __future__ import annotations

from datetime import date, timedelta

from orchestration.days import Window
from orchestration.feeds.base import Dataset

FUNDING_DAYS = 365  # funding_lookback_days
OI_DAYS = 90  # oi_local_high_window_days (>= liq_cluster_lookback_days)
PRICE_DAYS = 60  # the 50-day average and 30-day windows of int_spot__daily, with a margin

#: (provider, dataset) -> trailing days read before a window
TRAILING_DAYS: dict[tuple[str, str], int] = {
    **{(venue, "funding"): FUNDING_DAYS for venue in ("binance", "okx", "bybit", "deribit", "dydx", "hyperliquid")},
    ("coinalyze", "funding"): FUNDING_DAYS,
    ("coinglass", "funding_oi_weighted"): FUNDING_DAYS,
    **{(venue, "open_interest"): OI_DAYS
       for venue in ("binance", "okx", "bybit", "deribit", "dydx", "hyperliquid", "coinalyze")},
    ("coinglass", "oi_aggregated"): OI_DAYS,
    ("binance", "spot_klines"): PRICE_DAYS,
}


def trailing_window(dataset: Dataset, first_day: date) -> Window | None:
    """The days before ``first_day`` that ``dataset``'s trailing windows read, or None."""
    days = TRAILING_DAYS.get((dataset.provider.name, dataset.name), 0)
    return Window(first_day - timedelta(days=days), first_day - timedelta(days=1)) if days else None

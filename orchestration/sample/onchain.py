"""Exchange balances, on-chain valuation and stablecoin supply in the sample world, one value per UTC day.

Derived from the one simulated market (``SampleWorld``: its daily closes, its perp OI, its cascades) through a
stream of its own (``default_rng([seed, 11])``), so adding it changes nothing the other lenses serve. The
Glassnode, CryptoQuant, CoinMetrics and DefiLlama lenses only format these columns; the methodology gaps
between providers live here, in one place, so the reconciliation downstream has real work to do.

Model, in brief (every figure calibrated in ``tests/unit/test_sample_calibration_onchain.py`` against the real
CryptoQuant reserve and DefiLlama supply in ``../shared/realdata``):

- ``reserve_btc``: BTC on every exchange, as CryptoQuant's "all exchanges" counts it. Log level = rounded
  quarterly anchors of the real reserve plus a leaky sum (~90-day memory) of daily net flows: a calm Gaussian
  core and rarer, larger days (custody moves, an exchange rebalancing wallets), scaled by the era (2022 busy,
  2023 quiet), inflows on the market's worst days (coins sent to be sold) and FTX's withdrawal run
  (2022-11-08..11). ``reserve_netflow_btc`` is its day-over-day change plus a small booking difference.
- ``glassnode_balance_btc``: Glassnode labels fewer wallets (~78 % of the reserve) and its share wanders a
  little on its own, so its daily changes are the market's flows seen through another coverage;
  ``glassnode_netflow_btc`` its own (slightly different) net transfer volume.
- ``coinmetrics_sply_ex_btc``: CoinMetrics ``SplyExNtv`` covers ~46 % of the reserve in 2021 with a noisier
  wallet set, and has COVERAGE BREAKS (``COINMETRICS_BREAKS``): on a break day the level jumps when CoinMetrics
  starts counting more exchanges (the real series is 1.43 M BTC in 2021 and 2.80 M in 2024), while its flows
  (``coinmetrics_flow_in_btc`` / ``coinmetrics_flow_out_btc``: gross transfers in and out of the exchanges it
  covers) show nothing unusual: the jump is a new coverage, not coins moving.
- ``supply_btc`` (``SplyCur``): the issuance schedule (halvings 2020-05-11 and 2024-04-20) at ~149 blocks a day.
- ``realized_price_usd``: anchored to the real realized price (rounded) up to 2025-10, then a cost basis that
  follows the world's price (the realized cap re-prices the coins that move); ``mvrv`` = close / realized price
  (CoinMetrics ``CapMVRVCur``); ``glassnode_mvrv`` Glassnode's slightly different market and realized caps;
  ``glassnode_nupl`` = 1 - 1 / Glassnode's MVRV.
- ``estimated_leverage_ratio``: CryptoQuant's ratio of derivatives open interest to the exchange reserve, from
  the world's perp OI (all venues, BTC) at the day's end.
- ``stablecoin_supply_usd``: all USD stablecoins, as DefiLlama totals them. Log level = rounded quarterly
  anchors of the real total (with UST's May-2022 collapse as a daily path) plus a leaky sum of the market's own
  daily returns (supply grows after rallies, contracts after sell-offs) and of mint/burn days, plus a small
  daily measurement noise (DefiLlama's totals wobble day to day); ``stablecoin_circulating`` the same in units
  (pegs hold within a few basis points).
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from orchestration.sample.lens import Lens
from orchestration.sample.world import N_HOURS, START, SampleWorld

DAY0 = date(2020, 1, 1)
N_DAYS = N_HOURS // 24

# --- exchange reserve ------------------------------------------------------------------------------------------
# CryptoQuant's all-exchange reserve (BTC), rounded medians of the real series per quarter, placed mid-quarter;
# after the real file ends (2024-11) a slow drift down (coins kept leaving exchanges into ETFs and custody).
RESERVE_ANCHORS = [
    ("2020-01-01", 3.15e6), ("2020-02-15", 3.15e6), ("2020-05-15", 3.10e6), ("2020-08-15", 3.04e6),
    ("2020-11-15", 2.92e6), ("2021-02-15", 3.05e6), ("2021-05-15", 3.20e6), ("2021-08-15", 3.32e6),
    ("2021-11-15", 3.26e6), ("2022-02-15", 3.22e6), ("2022-05-15", 3.27e6), ("2022-08-15", 3.25e6),
    ("2022-11-07", 3.25e6), ("2023-02-15", 2.96e6), ("2023-05-15", 3.02e6), ("2023-08-15", 2.99e6),
    ("2023-11-15", 3.00e6), ("2024-02-15", 3.03e6), ("2024-05-15", 2.94e6), ("2024-08-15", 2.74e6),
    ("2024-11-15", 2.60e6), ("2025-06-01", 2.50e6), ("2026-06-01", 2.40e6), ("2030-12-31", 2.25e6),
]
# daily net flows (log): Gaussian core sd, jump days per year and mean size, memory of the level's deviation
RESERVE_FLOW = {"core": 0.0013, "jumps_per_year": 30.0, "jump_size": 0.006, "memory_days": 90.0,
                "panic": 0.035}
# the era's activity (scales the flows): real daily sd 0.27 % (2020), 0.29 % (2021), 0.40 % (2022), 0.18 %
# (2023), 0.25 % (2024)
RESERVE_ACTIVITY = [("2020-01-01", 1.0), ("2021-06-01", 1.15), ("2022-06-01", 1.75), ("2023-06-01", 0.62),
                    ("2024-06-01", 0.9), ("2030-12-31", 0.85)]
# FTX's withdrawal run (log change per day): real 3,265,102 BTC on 2022-11-08 -> 3,158,973 on 2022-11-11
FTX_RUN = {"2022-11-09": -0.010, "2022-11-10": -0.012, "2022-11-11": -0.010}

GLASSNODE_COVERAGE = 0.78  # of the all-exchange reserve (real Glassnode ~2.4-2.5 M BTC where CryptoQuant had ~3.1 M)
# CoinMetrics' share of the reserve between breaks (log-interpolated), and its coverage breaks (day, log jump)
COINMETRICS_COVERAGE = [("2020-01-01", 0.47), ("2021-04-28", 0.46), ("2022-11-08", 0.386), ("2023-05-15", 0.382),
                        ("2024-08-05", 0.388), ("2025-10-10", 0.409), ("2030-12-31", 0.41)]
COINMETRICS_BREAKS = (("2021-04-29", float(np.log(1.087))), ("2023-05-16", float(np.log(2.40))))
# CoinMetrics' gross inflow to the exchanges it covers (BTC a day, before busy-day scaling): real 14-60 k on
# quiet days, 115 k on 2021-05-19
COINMETRICS_INFLOW = [("2020-01-01", 24e3), ("2022-12-31", 26e3), ("2024-01-01", 20e3), ("2030-12-31", 18e3)]

# --- supply and valuation --------------------------------------------------------------------------------------
SUPPLY_AT_START = 18_132_000.0  # BTC mined by 2020-01-01 00:00 UTC
BLOCKS_PER_DAY = 146.5
HALVINGS = (("2020-05-11T19:23", 12.5, 6.25), ("2024-04-20T00:09", 6.25, 3.125))
# realized price (USD): the coins' average cost basis, rounded from the real CoinMetrics/Glassnode figures
REALIZED_PRICE_ANCHORS = [
    ("2020-01-01", 5400), ("2020-03-15", 5800), ("2020-08-01", 6400), ("2020-12-01", 8500), ("2021-01-15", 11500),
    ("2021-04-16", 18800), ("2021-05-20", 19900), ("2021-11-10", 23500), ("2022-06-15", 22500),
    ("2022-11-09", 20900), ("2023-06-01", 20300), ("2024-01-01", 23500), ("2024-03-15", 27000),
    ("2024-08-05", 31300), ("2025-01-01", 39000), ("2025-10-10", 54900),
]
REALIZED_TURNOVER = 1 / 500  # after the anchors: the share of the cost gap realized per day
GLASSNODE_MVRV_BIAS = 0.012  # Glassnode's market cap / realized cap run ~1 % above CoinMetrics'

# --- stablecoins -----------------------------------------------------------------------------------------------
# DefiLlama's total of USD stablecoins (USD), rounded medians of the real series per quarter, mid-quarter; UST's
# collapse (2022-05-09..12) as its daily path; after the real file ends (2026-08) a slow drift.
STABLECOIN_ANCHORS = [
    ("2020-01-01", 5.0e9), ("2020-02-15", 5.2e9), ("2020-05-15", 10.3e9), ("2020-08-15", 14.7e9),
    ("2020-11-15", 22.3e9), ("2021-02-15", 45.3e9), ("2021-05-15", 94.7e9), ("2021-08-15", 115.6e9),
    ("2021-11-15", 142.1e9), ("2022-02-15", 179.9e9), ("2022-05-08", 186.5e9), ("2022-05-09", 181.0e9),
    ("2022-05-10", 178.0e9), ("2022-05-11", 176.5e9), ("2022-05-12", 160.5e9), ("2022-05-14", 158.5e9),
    ("2022-08-15", 152.6e9), ("2022-11-15", 144.6e9), ("2023-02-15", 136.1e9), ("2023-05-15", 129.7e9),
    ("2023-08-15", 124.3e9), ("2023-11-15", 125.7e9), ("2024-02-15", 137.3e9), ("2024-05-15", 160.2e9),
    ("2024-08-15", 167.6e9), ("2024-11-15", 184.1e9), ("2025-02-15", 225.3e9), ("2025-05-15", 242.5e9),
    ("2025-08-15", 273.9e9), ("2025-11-15", 305.8e9), ("2026-02-15", 307.3e9), ("2026-05-15", 317.5e9),
    ("2026-08-15", 307.7e9), ("2030-12-31", 330e9),
]
# market coupling (daily log supply growth per unit of the BTC price's mean daily log return over ~``trend_days``,
# the resulting level forgotten over ``memory_days``); mint/burn days (a year's count
# and mean log size per era: 2020-21 saw $1 bn mints on a $50 bn base) and their share of mints; measurement noise
# sd per era
STABLECOIN_FLOW = {"beta": 0.08, "trend_days": 20.0, "memory_days": 45.0, "mint_up": 0.7}
STABLECOIN_MINTS = [("2020-01-01", 60.0), ("2021-09-01", 50.0), ("2022-03-01", 30.0), ("2030-12-31", 30.0)]
STABLECOIN_MINT_SIZE = [("2020-01-01", 0.022), ("2021-09-01", 0.013), ("2022-03-01", 0.0045), ("2030-12-31", 0.004)]
STABLECOIN_NOISE = [("2020-01-01", 0.004), ("2021-06-01", 0.0035), ("2022-06-01", 0.0008), ("2023-06-01", 0.0007),
                    ("2024-06-01", 0.0011), ("2025-06-01", 0.0008), ("2030-12-31", 0.0006)]


def _day_index(stamp: str) -> float:
    """Days since 2020-01-01 00:00 UTC (fractional for a time of day)."""
    return float((np.datetime64(stamp, "m") - START.astype("datetime64[m]")).astype(np.int64)) / 1440


def _curve(anchors, log: bool = True) -> np.ndarray:
    """Per day, the anchors interpolated (log-linearly by default), flat beyond the last."""
    x = np.array([_day_index(d) for d, _ in anchors])
    v = np.array([v for _, v in anchors], dtype=float)
    days = np.arange(N_DAYS, dtype=float)
    return np.exp(np.interp(days, x, np.log(v))) if log else np.interp(days, x, v)


def _leaky(increments: np.ndarray, memory_days: float) -> np.ndarray:
    """x_t = (1 - 1/memory) x_{t-1} + increment_t: a sum that slowly forgets (levels stay near their anchors)."""
    return lfilter([1.0], [1.0, -(1 - 1 / memory_days)], increments)


def _ar1(rng: np.random.Generator, sd: float, memory_days: float) -> np.ndarray:
    """A persistent wobble: AR(1) with daily innovations of ``sd``."""
    return lfilter([sd], [1.0, -(1 - 1 / memory_days)], rng.standard_normal(N_DAYS))


def _daily_market(world: SampleWorld) -> tuple[np.ndarray, np.ndarray]:
    """(close at each UTC day's end, all-venue perp OI in BTC at each day's end)."""
    h = world.hourly
    last = np.arange(N_DAYS) * 24 + 23
    close = h["close"].to_numpy(float)[last]
    oi = (h["oi_btc"].to_numpy(float) + world.outside_oi_btc())[last]
    return close, oi


def _reserve(rng: np.random.Generator, log_return: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(reserve BTC, its daily log flow) as CryptoQuant counts all exchanges."""
    f = RESERVE_FLOW
    activity = _curve(RESERVE_ACTIVITY, log=False)
    jumps = rng.random(N_DAYS) < f["jumps_per_year"] / 365.25
    size = rng.exponential(f["jump_size"], N_DAYS) * np.where(rng.random(N_DAYS) < 0.5, 1, -1)
    flow = activity * f["core"] * rng.standard_normal(N_DAYS) + np.clip(activity * jumps * size, -0.02, 0.02)
    flow += f["panic"] * np.maximum(-log_return - 0.05, 0.0)  # the worst days send coins to exchanges to be sold
    for day, change in FTX_RUN.items():  # withdrawals, not panic selling, dominated FTX's days
        d = int(_day_index(day))
        flow[d] = change + 0.1 * flow[d]
    log_reserve = np.log(_curve(RESERVE_ANCHORS)) + _leaky(flow, f["memory_days"])
    return np.exp(log_reserve), flow


def _coinmetrics_coverage() -> tuple[np.ndarray, np.ndarray]:
    """(CoinMetrics' share of the reserve per day, the log jump on each break day)."""
    jump = np.zeros(N_DAYS)
    for day, step in COINMETRICS_BREAKS:
        jump[int(_day_index(day))] = step
    return _curve(COINMETRICS_COVERAGE) * np.exp(np.cumsum(jump)), jump


def _supply() -> np.ndarray:
    """BTC in circulation at each day's end: ``BLOCKS_PER_DAY`` blocks at the era's subsidy."""
    days = np.arange(N_DAYS, dtype=float)
    subsidy = np.full(N_DAYS, HALVINGS[0][1])
    for stamp, _before, after in HALVINGS:
        subsidy[days >= _day_index(stamp)] = after
    per_day = BLOCKS_PER_DAY * subsidy
    for stamp, before, after in HALVINGS:  # the halving day: part before, part after
        d = int(_day_index(stamp))
        share = _day_index(stamp) - d
        per_day[d] = BLOCKS_PER_DAY * (share * before + (1 - share) * after)
    return SUPPLY_AT_START + np.cumsum(per_day)


def _realized_price(close: np.ndarray) -> np.ndarray:
    """The anchored realized price, then a cost basis re-pricing ``REALIZED_TURNOVER`` of the gap a day."""
    rp = _curve(REALIZED_PRICE_ANCHORS)
    last = int(_day_index(REALIZED_PRICE_ANCHORS[-1][0]))
    for d in range(last + 1, N_DAYS):
        rp[d] = rp[d - 1] + REALIZED_TURNOVER * (close[d] - rp[d - 1])
    return rp


def _stablecoins(rng: np.random.Generator, log_return: np.ndarray) -> np.ndarray:
    f = STABLECOIN_FLOW
    mints = rng.random(N_DAYS) < _curve(STABLECOIN_MINTS, log=False) / 365.25
    size = (rng.exponential(1.0, N_DAYS) * _curve(STABLECOIN_MINT_SIZE, log=False)
            * np.where(rng.random(N_DAYS) < f["mint_up"], 1, -1))
    trend = lfilter([1 / f["trend_days"]], [1.0, -(1 - 1 / f["trend_days"])], log_return)  # the market's recent drift
    drive = f["beta"] * trend + mints * size
    noise = _curve(STABLECOIN_NOISE, log=False) * rng.standard_normal(N_DAYS)
    return _curve(STABLECOIN_ANCHORS) * np.exp(_leaky(drive, f["memory_days"]) + noise)


@lru_cache(maxsize=4)
def _onchain(seed: int, world: SampleWorld) -> pd.DataFrame:
    rng = np.random.default_rng([seed, 11])
    close, oi = _daily_market(world)
    log_return = np.diff(np.log(close), prepend=np.log(close[0]))

    reserve, _ = _reserve(rng, log_return)
    booking = 1e-4 * rng.standard_normal(N_DAYS)  # CryptoQuant's netflow vs its reserve's change
    previous = np.concatenate([[reserve[0]], reserve[:-1]])
    reserve_netflow = reserve - previous + booking * previous

    glassnode = reserve * GLASSNODE_COVERAGE * np.exp(_ar1(rng, 0.002, 60))
    g_prev = np.concatenate([[glassnode[0]], glassnode[:-1]])
    glassnode_netflow = glassnode - g_prev + 4e-4 * g_prev * rng.standard_normal(N_DAYS)

    coverage, jump = _coinmetrics_coverage()
    coinmetrics = reserve * coverage * np.exp(_ar1(rng, 0.004, 20))
    c_prev = np.concatenate([[coinmetrics[0]], coinmetrics[:-1]])
    moved = coinmetrics - c_prev * np.exp(jump)  # the change that is coins moving, the break's jump excluded
    busy = np.exp(0.35 * rng.standard_normal(N_DAYS) - 0.06) * (1 + 8 * np.abs(log_return))
    flow_in = _curve(COINMETRICS_INFLOW) * busy
    # CoinMetrics' flows do not add up to its level's change exactly (real: 0.1-1.4 % of the level a day)
    unbooked = c_prev * (0.0015 * rng.standard_normal(N_DAYS)
                         + 0.008 * (rng.random(N_DAYS) < 0.03) * rng.standard_normal(N_DAYS))
    net = moved + unbooked
    flow_in = np.maximum(flow_in, net + 0.2 * flow_in)  # never a negative outflow
    flow_out = flow_in - net

    supply = _supply()
    realized = _realized_price(close)
    mvrv = close / realized
    glassnode_mvrv = mvrv * (1 + GLASSNODE_MVRV_BIAS) * np.exp(_ar1(rng, 0.0008, 30))
    stablecoins = _stablecoins(rng, log_return)
    peg = 1 + 0.0004 * np.tanh(_ar1(rng, 0.3, 10))

    return pd.DataFrame({
        "date": pd.date_range(DAY0.isoformat(), periods=N_DAYS, freq="D"),
        "close_usd": close,
        "reserve_btc": reserve,
        "reserve_netflow_btc": reserve_netflow,
        "glassnode_balance_btc": glassnode,
        "glassnode_netflow_btc": glassnode_netflow,
        "coinmetrics_sply_ex_btc": coinmetrics,
        "coinmetrics_flow_in_btc": flow_in,
        "coinmetrics_flow_out_btc": flow_out,
        "coinmetrics_break": jump != 0,
        "supply_btc": supply,
        "realized_price_usd": realized,
        "mvrv": mvrv,
        "glassnode_mvrv": glassnode_mvrv,
        "glassnode_nupl": 1 - 1 / glassnode_mvrv,
        "estimated_leverage_ratio": oi / reserve,
        "stablecoin_circulating": stablecoins / peg,
        "stablecoin_supply_usd": stablecoins,
    })


def onchain(world: SampleWorld) -> pd.DataFrame:
    """The world's daily on-chain and stablecoin frame, one row per UTC day from 2020-01-01 (``date`` at
    midnight, naive UTC; every level is the day's end). Cached per world; treat it as read-only."""
    return _onchain(world.seed, world)


DAY_MS = 86_400_000
DAY0_MS = int(pd.Timestamp(DAY0).value // 1_000_000)


class DailyLens(Lens):
    """What the on-chain and stablecoin lenses share: the world's daily frame and the days a request covers."""

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.daily = world.daily

    def column(self, name: str) -> np.ndarray:
        return self.daily[name].to_numpy()

    @staticmethod
    def days(first_ms: int, last_ms: int, now_ms: int, *, in_progress: bool = False) -> np.ndarray:
        """Indices of the world's days starting within [first_ms, last_ms] that have ended by ``now_ms`` (or,
        with ``in_progress``, begun by it)."""
        first = max(-(-(first_ms - DAY0_MS) // DAY_MS), 0)
        reach = now_ms - (0 if in_progress else DAY_MS)
        last = min((min(last_ms, reach) - DAY0_MS) // DAY_MS, N_DAYS - 1)
        return np.arange(first, last + 1) if last >= first else np.arange(0)

    @staticmethod
    def day_ms(index: np.ndarray) -> np.ndarray:
        return DAY0_MS + np.asarray(index, dtype=np.int64) * DAY_MS

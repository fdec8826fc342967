"""The sample world: one seeded, hourly simulation of the BTC market that every offline provider lens reads.

Why one world: each provider (Binance, OKX, Coinalyze, ...) is only a *lens* on it, so cross-source checks
downstream see the same market through different units, grids and lags. The world is generated once to a
fixed horizon (2030) from a fixed seed, so the market up to any day never depends on when it is generated;
lenses truncate to their clock's "now".

Model, in brief: log price is a Brownian bridge through real monthly anchors plus cascade shocks; perp open
interest (BTC, all crypto venues) follows a real baseline, answers ordinary price moves the way coin-margined
books do (falls in BTC as price rises) but follows big ones, wanders slowly, jumps in rare re-/de-leveraging
surges, builds before cascades and flushes in them; our five venues hold a real, drifting fraction of it
(``oi_btc``), other venues the rest, of which Hyperliquid (``oi_btc_hyperliquid``, from its launch) is carved out
and ``oi_btc_other`` holds what is left; the market premium (``funding_8h``) follows momentum and
a slow trend regime, builds before cascades and snaps negative in them; liquidations are an era's leverage
intensity times OI, convex in the hour's move, plus each cascade's flush. Calibrated against real CoinGlass
series in tests/unit/test_sample_calibration.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.signal import lfilter

START = np.datetime64("2020-01-01T00:00", "h")
END = np.datetime64("2031-01-01T00:00", "h")  # exclusive horizon: the world never grows
HOUR_MS = 3_600_000
START_MS = int(START.astype("datetime64[ms]").astype(np.int64))
N_HOURS = int((END - START).astype(np.int64))

# Approximate real BTC/USD levels (UTC). After the last anchor the price is a free (mildly mean-reverting) walk.
PRICE_ANCHORS = [
    ("2020-01-01", 7200), ("2020-02-01", 9350), ("2020-03-01", 8550), ("2020-04-01", 6400),
    ("2020-05-01", 8800), ("2020-06-01", 9450), ("2020-07-01", 9150), ("2020-08-01", 11300),
    ("2020-09-01", 11650), ("2020-10-01", 10800), ("2020-11-01", 13800), ("2020-12-01", 19700),
    ("2021-01-01", 29000), ("2021-02-01", 33100), ("2021-03-01", 45200), ("2021-04-01", 58800),
    ("2021-04-14", 63500), ("2021-05-01", 57700), ("2021-06-01", 36700), ("2021-07-01", 35000),
    ("2021-08-01", 41500), ("2021-09-01", 47100), ("2021-10-01", 43800), ("2021-11-01", 61300),
    ("2021-11-10", 66500), ("2021-12-01", 57000), ("2022-01-01", 47000), ("2022-02-01", 38500),
    ("2022-03-01", 43200), ("2022-04-01", 45500), ("2022-05-01", 37700), ("2022-06-01", 31800),
    ("2022-07-01", 19900), ("2022-08-01", 23300), ("2022-09-01", 20000), ("2022-10-01", 19400),
    ("2022-11-01", 20500), ("2022-12-01", 17000), ("2023-01-01", 16550), ("2023-02-01", 23100),
    ("2023-03-01", 23600), ("2023-04-01", 28500), ("2023-05-01", 29200), ("2023-06-01", 27200),
    ("2023-07-01", 30500), ("2023-08-01", 29200), ("2023-09-01", 25900), ("2023-10-01", 27000),
    ("2023-11-01", 34700), ("2023-12-01", 37700), ("2024-01-01", 42300), ("2024-02-01", 42600),
    ("2024-03-01", 61100), ("2024-04-01", 71300), ("2024-05-01", 60600), ("2024-06-01", 67500),
    ("2024-07-01", 62700), ("2024-08-01", 64600), ("2024-09-01", 57300), ("2024-10-01", 60800),
    ("2024-11-01", 69500), ("2024-12-01", 97300), ("2025-01-01", 94400), ("2025-02-01", 100600),
    ("2025-03-01", 86000), ("2025-04-01", 85200), ("2025-05-01", 96500), ("2025-06-01", 105700),
    ("2025-07-01", 105700), ("2025-08-01", 113200), ("2025-09-01", 109200), ("2025-10-01", 118700),
    ("2025-10-06", 124500), ("2025-11-01", 110100),
]

# Perp OI on every crypto venue CoinGlass aggregates (ours and others, CME excluded), in BTC, before noise, price
# response, surges and cascades: CoinGlass' real all-exchange daily OI over the close, minus CME_OI_ANCHORS, rounded.
PERP_OI_ANCHORS = [
    ("2020-01-01", 290e3), ("2020-05-01", 290e3), ("2020-08-15", 400e3), ("2020-11-01", 330e3),
    ("2021-01-01", 290e3), ("2021-04-10", 330e3), ("2021-06-15", 280e3), ("2021-09-15", 290e3),
    ("2022-01-01", 320e3), ("2022-04-01", 380e3), ("2022-07-01", 480e3), ("2022-10-15", 640e3),
    ("2022-12-15", 540e3), ("2023-03-01", 420e3), ("2023-06-01", 370e3), ("2023-10-01", 380e3),
    ("2024-01-15", 320e3), ("2024-06-01", 355e3), ("2024-10-01", 380e3), ("2024-12-15", 440e3),
    ("2025-03-15", 450e3), ("2025-06-01", 510e3), ("2025-09-01", 560e3), ("2030-12-31", 560e3),
]

# Our five venues' fraction of that perp OI (``oi_btc``; the rest is ``oi_btc_other``). Real CoinGlass: Binance +
# OKX + Bybit held ~40 % of all-exchange OI in 2021 (FTX, BitMEX, Huobi... the rest), ~55 % in 2023 after FTX
# vanished, ~34 % in 2025 as Gate, Bitget, HTX, MEXC and Hyperliquid grew (per exchange, 2025-05..11: our five
# 37 %, others 41.5 %, CME 21.5 %).
NATIVE_FRACTION_ANCHORS = [
    ("2020-01-01", 0.50), ("2021-01-01", 0.54), ("2022-09-01", 0.54), ("2023-04-01", 0.72), ("2024-09-01", 0.70),
    ("2025-05-01", 0.48), ("2030-12-31", 0.47),
]

# Ordinary-day response of BTC-counted OI to a price move (log per log), forgotten over OI_MEMORY_DAYS: coin-margined
# contracts are sized in USD, so their BTC count falls as price rises; their share of OI fell from ~60 % (2020-21)
# to ~23 % (2023+). Big moves go the other way (OI_CHASE: while price is more than ``beyond`` (log) from 24 h
# before, OI follows each move ``gain`` times): together they match the real yearly regressions of the daily BTC
# OI change on the price change (2020 -0.49, 2021 -0.26, 2022 -0.15, 2023 -0.03, 2024 -0.07, 2025 +0.06).
PRICE_RESPONSE_ANCHORS = [("2020-01-01", -0.50), ("2021-01-01", -0.38), ("2022-01-01", -0.26),
                          ("2023-01-01", -0.18), ("2030-12-31", -0.18)]
OI_MEMORY_DAYS = 10
OI_CHASE = {"beyond": 0.07, "gain": 0.75}
# Log-OI noise: a slow (~3 weeks) and a fast (~6 h) wander, plus surges (a year's count, mean size, share upward).
OI_NOISE = {"slow": 0.04, "fast": 0.004, "surges_per_year": 16.0, "surge_size": 0.045, "surge_up": 0.5}

# Crypto-native venues whose OI shares (``share_<venue>``) split ``oi_btc``; dYdX v4 has no OI before its launch.
VENUES = ("binance", "okx", "bybit", "deribit", "dydx")
DYDX_LAUNCH = date(2023, 10, 27)
CME_MICRO_LAUNCH = date(2021, 5, 3)

# Shares within our five venues (real CoinGlass per exchange, 2025-05..11: Binance 47 %, Bybit 29.5 %, OKX 15 %,
# Deribit 8.5 %, dYdX 0.2 %): Binance grew from ~36 %, OKX slid as Bybit rose; dYdX v4 peaked in 2024.
BINANCE_SHARE_ANCHORS = [("2020-01-01", 0.36), ("2021-06-01", 0.40), ("2022-06-01", 0.44), ("2023-06-01", 0.465),
                         ("2030-12-31", 0.47)]
OKX_OF_REST_ANCHORS = [("2020-06-01", 0.40), ("2025-06-01", 0.28), ("2030-12-31", 0.28)]  # of 1 - Binance - dYdX
DYDX_SHARE_ANCHORS = [("2023-10-27", 0.002), ("2024-03-01", 0.007), ("2025-06-01", 0.002), ("2030-12-31", 0.002)]

# Hyperliquid: its BTC perp from the first day of its public funding history (``fundingHistory`` starts on
# 2023-05-12 00:00 UTC, with BTC among the first coins). Its OI is a share of (our five venues + Hyperliquid),
# carved out of the other venues' OI so that the all-exchange aggregate is unchanged. Anchors: from 2025-06-01 the
# real CoinGlass per-exchange file (2025-05-15..11-14: 10.5 %, monthly 10.1-11.5 %, ~$3 bn of BTC OI in June 2025,
# third behind Binance and Bybit; 11 % before the wobble and the October flush); before it, public reports' order
# of magnitude [approximate]: BTC OI of a few tens of $ m in its first months (~0.3 % of our five's ~$8 bn),
# ~$0.25 bn by mid-2024 (~1.5 %), ~$1.5-2 bn after the HYPE airdrop of 2024-11-29 (~5 %), more in early 2025 (~8 %).
HYPERLIQUID_LAUNCH = date(2023, 5, 12)
HYPERLIQUID_SHARE_ANCHORS = [("2023-05-12", 0.003), ("2023-12-01", 0.007), ("2024-06-01", 0.015), ("2024-11-25", 0.03),
                             ("2024-12-20", 0.05), ("2025-03-01", 0.08), ("2025-06-01", 0.11), ("2030-12-31", 0.11)]
# On 2025-10-10 Hyperliquid's book flushed far deeper than the others' (real per exchange, 20:00 -> 00:00 UTC:
# Hyperliquid 4.4 -> 2.2 bn USD, -0.69 log; Binance -0.23): an extra log drop of its share, rebuilt within about a
# week (October's real share: 10.2 %).
HYPERLIQUID_FLUSH = {"cascade": "2025-10-10", "drop": 0.45, "rebuild_days": 6}
HYPERLIQUID_MAX_OF_OTHERS = 0.45  # never more than this fraction of the other venues' OI (keeps the carve exact)

# CME BTC futures OI (standard + micro), in BTC: a regulated book that does not flush with crypto leverage.
CME_OI_ANCHORS = [  # BTC; CME's real OI ran ~6-7k contracts (5 BTC) in 2020, ~20-35k in 2024-2025
    ("2020-01-01", 30000), ("2020-07-01", 28000), ("2020-12-01", 45000), ("2021-02-01", 55000),
    ("2021-04-01", 60000), ("2021-07-01", 45000), ("2021-11-01", 85000), ("2022-03-01", 55000),
    ("2022-07-01", 45000), ("2023-01-01", 45000), ("2023-07-01", 60000), ("2023-11-01", 95000),
    ("2024-03-01", 140000), ("2024-12-01", 180000), ("2025-06-01", 150000), ("2025-10-01", 155000),
    ("2030-12-31", 150000),
]

# Binance spot BTCUSDT volume per hour, BTC (zero-fee era mid-2022..early 2023 was much busier).
SPOT_VOLUME_ANCHORS = [
    ("2020-01-01", 2200), ("2021-06-01", 2600), ("2022-07-01", 7000), ("2023-03-01", 5000),
    ("2023-04-01", 1800), ("2024-03-01", 1700), ("2025-01-01", 1100), ("2030-12-31", 1000),
]


# Market premium (per 8 h) = level + momentum terms + noise; tuned so that Binance's clamped, published rate
# matches the real 2020-2023 distribution (see tests/unit/test_sample_world.py).
PREMIUM = {"level": -0.00047, "mom7_up": 0.0016, "mom7_down": 0.0003, "mom90_up": 0.0010, "mom90_down": 0.0001,
           "noise": 0.00003, "noise_trend": 0.0006, "discount_squeeze": 0.2}


# Liquidation intensity: a median day's BTC liquidations as a fraction of our five venues' OI. Real Binance+OKX+Bybit
# daily median over it: 2-4 % in the first half of 2021 (100x leverage was common), ~0.5 % from late 2021 after the
# venues capped leverage, ~0.2 % from late 2022. 2020 (before the real file) is taken like early 2021.
LIQ_INTENSITY_ANCHORS = [("2020-01-01", 0.025), ("2021-02-01", 0.028), ("2021-05-15", 0.022), ("2021-08-15", 0.015),
                         ("2021-11-15", 0.0047), ("2022-08-01", 0.0050), ("2022-11-15", 0.0020), ("2024-01-01", 0.0022),
                         ("2025-01-01", 0.0019), ("2025-09-01", 0.0015), ("2030-12-31", 0.0015)]
# Shape of the hourly liquidations, in units of a median day's: a busy/quiet background (log-sd ``busy``, ~1 day
# memory) and the squared hourly move against the side in typical hourly sigmas (capped), longs more levered.
LIQ = {"background": 0.2, "busy": 1.2, "response": 0.65, "move_cap": 8.0, "long": 1.15, "short": 0.85}
HOURLY_SIGMA = 0.52 / np.sqrt(8766)  # the price's typical hourly log sd (before its volatility regime)
# Each venue's liquidations per unit of OI share, as aggregators report them: Binance shows ~1/3 of the
# Binance+OKX+Bybit total (real 2024-11..2025-09: 32 %) while holding ~half their OI (its public stream reports at
# most one order a second), Bybit and OKX carry more retail leverage, Deribit's book is mostly hedged.
VENUE_LIQ_FACTOR = {"binance": 0.75, "okx": 1.3, "bybit": 1.05, "deribit": 0.5, "dydx": 1.5}


@dataclass(frozen=True)
class Cascade:
    """A leverage flush: OI built up (``oi_build``, log) over ``pre_days`` and then drops ``oi_drop`` (log,
    from the peak) over ``hours`` while price falls ``price_drop`` (log) and ``liq_usd`` is liquidated on top of
    what the move itself liquidates.

    ``liq_usd`` > 0 is BTC only, on our five venues, as aggregators report it; ``headline_usd`` is what the press
    reported (all coins, all venues), for reference only. The real Binance+OKX+Bybit file sets the order of
    magnitude: ~3 bn on 2021-04-18 (headline ~10 bn), 1.6 bn on 2021-05-19 (~8 bn), ~0.3 bn over FTX's three days
    and 0.3 bn on 2024-08-05 (the 5.6 bn and 1 bn headlines were mostly altcoins), and 2025-10-10 ~1.3 bn (Binance
    alone reported 0.4 bn, ~1/3 of the three; the 19 bn headline was mostly altcoins and Hyperliquid). COVID
    (before the file) is taken at ~1 bn, BitMEX, then the largest venue, being none of ours.
    ``liq_usd`` <= 0 (random flushes): that many typical days' liquidations (OI x the era's intensity)."""

    start: str  # first hour, UTC
    hours: int
    price_drop: float
    oi_drop: float
    liq_usd: float
    long_share: float = 0.88
    pre_days: float = 0.0
    oi_build: float = 0.0
    prem_build: float = 0.0  # premium added (per 8 h) on the plateau before the flush
    prem_snap: float = 0.0012  # premium removed at the flush (decays after)
    peak: float = 0.2  # where in the window the flush is most violent (0..1)
    name: str = ""
    headline_usd: float = 0.0


DOCUMENTED_CASCADES = (
    Cascade("2020-03-12T08:00", 40, 0.42, 0.30, 0.8e9, 0.85, 4, 0.03, 0.0001, 0.0014, 0.45, "covid", 1.6e9),
    Cascade("2021-04-18T00:00", 6, 0.13, 0.15, 2.2e9, 0.93, 7, 0.13, 0.0008, 0.0016, 0.3, "2021-04-18", 9.6e9),
    Cascade("2021-05-19T08:00", 10, 0.17, 0.27, 1.0e9, 0.88, 5, 0.05, 0.0006, 0.0016, 0.4, "2021-05-19", 7.6e9),
    Cascade("2022-11-08T06:00", 54, 0.24, 0.13, 0.12e9, 0.75, 0, 0.0, 0.0, 0.0015, 0.45, "ftx", 5.6e9),
    Cascade("2024-08-05T00:00", 4, 0.10, 0.17, 0.2e9, 0.70, 4, 0.09, 0.0, 0.0010, 0.3, "2024-08-05", 1.0e9),
    Cascade("2025-10-10T20:00", 4, 0.08, 0.17, 1.0e9, 0.75, 6, 0.06, 0.0, 0.0014, 0.3, "2025-10-10", 19e9),
)


@dataclass(frozen=True, eq=False)
class SampleWorld:
    """The simulated market. ``hourly`` has one row per UTC hour start ``ts`` (tz-naive UTC), 2020..2030:
    ``open/high/low/close`` USD; ``spot_volume_btc`` (Binance spot BTCUSDT); ``oi_btc`` perp OI of our five
    crypto-native venues (``VENUES``) at the hour's end; ``funding_8h`` the market's premium-implied funding per
    8 h before any venue's clamp (each venue lens applies its own formula); ``liq_long_usd/liq_short_usd`` BTC
    liquidations on our five venues (USD per hour, as aggregators report them);
    ``binance_oi_share``; ``share_<venue>`` for each of ``VENUES`` (sum 1; ``share_binance`` ==
    ``binance_oi_share``); ``funding_8h_<venue>`` each venue's own premium per 8 h (Binance's ==
    ``funding_8h``); ``cme_oi_btc`` CME futures OI (standard + micro, BTC) and ``cme_micro_share``;
    ``liq_long_usd_<venue>`` / ``liq_short_usd_<venue>`` each venue's liquidations (summing to the market's);
    ``oi_btc_other`` perp OI on venues outside ``VENUES`` and Hyperliquid (seen only by all-exchange aggregates);
    ``oi_btc_hyperliquid`` Hyperliquid's BTC perp OI (one side, 0 before ``HYPERLIQUID_LAUNCH``), carved out of
    the other venues' OI: ``outside_oi_btc()`` (their sum) is exactly what the other venues held before
    Hyperliquid had a column; ``funding_8h_hyperliquid`` its own premium per 8 h (its lens applies its formula).
    Treat it as read-only: it is cached and shared."""

    seed: int
    hourly: pd.DataFrame
    cascades: tuple[Cascade, ...] = field(default=())

    @property
    def daily(self) -> pd.DataFrame:
        """The daily on-chain and stablecoin frame derived from this market (``sample.onchain``), one row per
        UTC day from 2020-01-01: what the daily lenses (Glassnode, CryptoQuant, CoinMetrics, DefiLlama) read."""
        from orchestration.sample.onchain import onchain  # derived from this module's market: imported late

        return onchain(self)

    # -- instants ---------------------------------------------------------------------------------
    def _boundaries(self, column: str) -> np.ndarray:
        """Values at hour boundaries k = 0..N (boundary k is the end of hour k-1)."""
        cached = self.__dict__.get("_b_" + column)
        if cached is None:
            end = self.hourly[column].to_numpy(float)
            first = self.hourly["open"].iat[0] if column == "close" else end[0]
            cached = np.concatenate([[first], end])
            object.__setattr__(self, "_b_" + column, cached)
        return cached

    def _interp(self, column: str, ts_ms) -> np.ndarray:
        b = self._boundaries(column)
        x = (np.asarray(ts_ms, dtype=np.int64) - START_MS) / HOUR_MS
        x = np.clip(x, 0, N_HOURS)
        i = np.minimum(np.floor(x).astype(np.int64), N_HOURS - 1)
        f = x - i
        return b[i] * np.exp(f * np.log(b[i + 1] / b[i])), f

    def price_at(self, ts_ms) -> np.ndarray:
        """USD price at arbitrary instants (ms since epoch): log-interpolated between hourly closes."""
        return self._interp("close", ts_ms)[0]

    def oi_at(self, ts_ms) -> np.ndarray:
        """Aggregate OI (BTC) at arbitrary instants: log-interpolated within the hour plus a small
        deterministic wiggle per 5-minute slot (zero at hour boundaries, so hourly values stay exact)."""
        value, f = self._interp("oi_btc", ts_ms)
        slot = np.asarray(ts_ms, dtype=np.int64) // 300_000
        return value * (1 + 0.0015 * np.sin(np.pi * f) * hash_unit(slot, self.seed, 1))

    def share_at(self, ts_ms) -> np.ndarray:
        """Binance's share of crypto-native OI at arbitrary instants (linear within the hour)."""
        return self._interp("binance_oi_share", ts_ms)[0]

    def binance_oi_at(self, ts_ms) -> np.ndarray:
        return self.oi_at(ts_ms) * self.share_at(ts_ms)

    def outside_oi_btc(self) -> np.ndarray:
        """Per hour: perp OI (BTC) of every crypto venue outside ``VENUES`` (Hyperliquid included), bit for bit
        what ``oi_btc_other`` held before Hyperliquid was carved out of it (see ``_carve``)."""
        return self.hourly["oi_btc_other"].to_numpy(float) + self.hourly["oi_btc_hyperliquid"].to_numpy(float)

    def _linear(self, column: str, ts_ms) -> np.ndarray:
        """``column`` at arbitrary instants, linear between hour boundaries (for series that start at 0, where
        :meth:`_interp`'s log interpolation breaks)."""
        b = self._boundaries(column)
        x = np.clip((np.asarray(ts_ms, dtype=np.int64) - START_MS) / HOUR_MS, 0, N_HOURS)
        i = np.minimum(np.floor(x).astype(np.int64), N_HOURS - 1)
        return b[i] + (x - i) * (b[i + 1] - b[i])

    def hyperliquid_oi_btc_at(self, ts_ms) -> np.ndarray:
        """Hyperliquid's OI (BTC) at arbitrary instants: linear between hour boundaries (0 before launch)."""
        return self._linear("oi_btc_hyperliquid", ts_ms)

    def venue_oi_btc_at(self, venue: str, ts_ms) -> np.ndarray:
        """One venue's OI (BTC) at arbitrary instants: ``oi_at`` times its share, interpolated linearly within
        the hour (log interpolation would break on dYdX's zero share before launch). Binance's equals
        ``binance_oi_at`` exactly, so its lens and this helper agree."""
        if venue not in VENUES:
            raise KeyError(f"unknown venue {venue!r}; expected one of {VENUES}")
        if venue == "binance":
            return self.binance_oi_at(ts_ms)
        return self.oi_at(ts_ms) * self._linear("share_" + venue, ts_ms)


def hash_unit(keys, seed: int, salt: int) -> np.ndarray:
    """Deterministic pseudo-random numbers in [-1, 1) per integer key (splitmix64), for lens details that
    must not depend on how many rows were asked for."""
    z = np.asarray(keys, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        z = z + np.uint64((seed * 1_000_003 + salt * 7919) & 0xFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 52) - 1.0


def _hour_index(stamp: str) -> int:
    return int((np.datetime64(stamp, "h") - START).astype(np.int64))


def _anchor_curve(anchors, log: bool = True) -> np.ndarray:
    idx = np.array([_hour_index(d) for d, _ in anchors], dtype=float)
    val = np.array([v for _, v in anchors], dtype=float)
    hours = np.arange(N_HOURS, dtype=float)
    return np.interp(hours, idx, np.log(val) if log else val)


def _ar1(noise: np.ndarray, phi: float) -> np.ndarray:
    """x_t = phi * x_{t-1} + noise_t, unit stationary variance when noise is standard normal."""
    scale = float(np.sqrt(1 - phi * phi))
    return lfilter([scale], [1.0, -phi], np.asarray(noise, dtype=float))  # bit-identical to the loop, ~30x faster


def _leaky_sum(increments: np.ndarray, phi: float, length: int) -> np.ndarray:
    """Random walk from 0 that slowly forgets its distance from 0 (keeps the far future plausible)."""
    return np.concatenate([[0.0], lfilter([1.0], [1.0, -phi], np.asarray(increments[: length - 1], dtype=float))])


def _days_since(day: date) -> np.ndarray:
    """Per hour: days since ``day`` 00:00 UTC (negative before)."""
    return (np.arange(N_HOURS) - _hour_index(day.isoformat())) / 24


def _venue_shares(rng: np.random.Generator, binance: np.ndarray) -> dict[str, np.ndarray]:
    """Shares of our five venues' OI, summing to 1. Binance's is given; dYdX follows its anchors after launch;
    OKX takes a sliding fraction of the rest (``OKX_OF_REST_ANCHORS``), Deribit a steady ~16 % of it and Bybit
    the remainder, each with a slow wobble."""
    n = N_HOURS
    slow = 1 - 1 / (24 * 120)
    z_okx, z_deribit, z_dydx = (_ar1(rng.standard_normal(n), slow) for _ in range(3))
    launched = _days_since(DYDX_LAUNCH) >= 0
    dydx = np.where(launched, _anchor_curve(DYDX_SHARE_ANCHORS, log=False) * (1 + 0.3 * np.tanh(z_dydx)), 0.0)
    rest = 1 - binance - dydx
    okx = rest * (_anchor_curve(OKX_OF_REST_ANCHORS, log=False) + 0.012 * np.tanh(z_okx))
    deribit = rest * (0.16 + 0.012 * np.tanh(z_deribit))
    bybit = rest - okx - deribit
    return {"share_binance": binance.copy(), "share_okx": okx, "share_bybit": bybit, "share_deribit": deribit,
            "share_dydx": dydx}


def _venue_funding(rng: np.random.Generator, market: np.ndarray) -> dict[str, np.ndarray]:
    """Each venue's own funding per 8 h: the market premium plus a small, persistent venue deviation
    (Binance's is the market itself, so its calibrated lens is untouched)."""
    out = {"funding_8h_binance": market.copy()}
    for venue in VENUES[1:]:
        out[f"funding_8h_{venue}"] = market + 0.00003 * _ar1(rng.standard_normal(N_HOURS), 1 - 1 / 48)
    return out


def _cme(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """CME OI (BTC): a baseline plus a weekly-ish daily AR(1), log-interpolated within the day. Around the
    documented crypto cascades (+-3 days) the noise is frozen: CME's book barely moved while perps flushed."""
    n_days = N_HOURS // 24 + 1
    innovations = rng.standard_normal(n_days)
    calm = np.zeros(n_days, dtype=bool)
    for c in DOCUMENTED_CASCADES:
        d0 = _hour_index(c.start) // 24
        calm[max(d0 - 3, 0): d0 + 4] = True
    phi, x, noise = 1 - 1 / 7, 0.0, np.zeros(n_days)
    scale = float(np.sqrt(1 - phi * phi)) * 0.05
    for d, e in enumerate(innovations.tolist()):
        x = x + 0.1 * scale * e if calm[d] else phi * x + scale * e
        noise[d] = x
    hours = np.arange(N_HOURS, dtype=float)
    log_oi = _anchor_curve(CME_OI_ANCHORS) + np.interp(hours / 24, np.arange(n_days), noise)
    since = _days_since(CME_MICRO_LAUNCH)
    micro = 0.04 + 0.025 * np.tanh(_ar1(rng.standard_normal(N_HOURS), 1 - 1 / (24 * 60)))
    micro = np.where(since >= 0, 0.02 + np.clip(since / 90, 0, 1) * micro, 0.0)
    return {"cme_oi_btc": np.exp(log_oi), "cme_micro_share": micro}


def _random_cascades(rng: np.random.Generator) -> list[Cascade]:
    """A few smaller flushes a year, away from the documented ones, each liquidating 2-6 typical days' worth."""
    documented = np.array([_hour_index(c.start) for c in DOCUMENTED_CASCADES])
    count = rng.poisson(4.0 * N_HOURS / 8766)
    starts = np.sort(rng.integers(24 * 20, N_HOURS - 24 * 10, size=count))
    out, last = [], -10**9
    for h in starts:
        u = rng.random(8)
        if np.min(np.abs(documented - h)) < 24 * 25 or h - last < 24 * 30:
            continue
        last = h
        stamp = str(START + np.timedelta64(int(h), "h"))
        out.append(Cascade(stamp, int(3 + 6 * u[0]), 0.03 + 0.05 * u[1], 0.05 + 0.05 * u[2],
                           -(2 + 4 * u[3]), 0.65 + 0.2 * u[4], 2 + 4 * u[5], 0.02 + 0.04 * u[6],
                           0.0002 + 0.0005 * u[7], 0.0010, 0.3, "random"))
    return out


def _event_profile(c: Cascade) -> tuple[int, np.ndarray]:
    """Start hour and per-hour weights (sum 1) of a cascade: a bump centred at ``peak``."""
    i = np.arange(c.hours, dtype=float)
    w = np.exp(-0.5 * ((i - c.peak * (c.hours - 1)) / max(c.hours / 4, 0.8)) ** 2)
    return _hour_index(c.start), w / w.sum()


def _kernel(n0: int, w: np.ndarray, pre_hours: int, build: float, drop: float, tau_h: float) -> np.ndarray:
    """Build linearly to ``+build`` over ``pre_hours``, fall by ``drop`` along ``w``, then decay to 0."""
    k = np.zeros(N_HOURS)
    if pre_hours > 0 and build:
        a = max(n0 - pre_hours, 0)
        k[a:n0] = build * np.minimum(1.0, np.linspace(0, 1.6, n0 - a))
    n1 = min(n0 + len(w), N_HOURS)
    level = build - drop * np.cumsum(w)
    k[n0:n1] = level[: n1 - n0]
    if n1 < N_HOURS:
        k[n1:] = level[-1] * np.exp(-np.arange(1, N_HOURS - n1 + 1) / tau_h)
    return k


@lru_cache(maxsize=4)
def sample_world(seed: int = 20200101) -> SampleWorld:
    """The sample world for ``seed`` (cached: every lens and test shares one instance)."""
    rng = np.random.default_rng(seed)
    n = N_HOURS
    z_price, z_vol, z_prem, z_oi, z_share, z_spot, z_wick, z_liq = (rng.standard_normal(n) for _ in range(8))
    cascades = list(DOCUMENTED_CASCADES) + _random_cascades(rng)

    # --- volatility regime and price -------------------------------------------------------------
    vol_regime = np.exp(0.35 * _ar1(z_vol, 1 - 1 / (24 * 20)))
    sigma_h = HOURLY_SIGMA * vol_regime
    increments = sigma_h * z_price
    profiles = [_event_profile(c) for c in cascades]
    for c, (n0, w) in zip(cascades, profiles):
        n1 = min(n0 + len(w), n)
        increments[n0:n1] -= c.price_drop * w[: n1 - n0]
        increments[n0:n1 + 6] += sigma_h[n0:n1 + 6] * z_price[n0:n1 + 6]  # rougher around the flush
        sigma_h[n0:n1 + 6] *= 2.0
    walk = np.cumsum(increments)
    anchor_idx = np.array([_hour_index(d) for d, _ in PRICE_ANCHORS])
    last = anchor_idx[-1]
    bridge = walk - np.interp(np.arange(n), anchor_idx, walk[anchor_idx])  # zero at every anchor
    bridge[last:] = _leaky_sum(increments[last + 1:], 1 - 1 / (24 * 365 * 1.5), n - last)  # free walk
    log_close = _anchor_curve(PRICE_ANCHORS) + bridge
    close = np.exp(log_close)
    open_ = np.concatenate([[PRICE_ANCHORS[0][1]], close[:-1]])
    ret = np.log(close / open_)
    wick = sigma_h * 0.8 * np.abs(z_wick) + 0.25 * np.abs(ret)
    high = np.maximum(open_, close) * np.exp(wick * (0.4 + 0.6 * (ret > 0)))
    low = np.minimum(open_, close) * np.exp(-wick * (0.4 + 0.6 * (ret < 0)))

    # --- momentum and premium (funding) -------------------------------------------------------------
    mom7 = log_close - np.concatenate([np.full(168, log_close[0]), log_close[:-168]])
    mom90 = log_close - np.concatenate([np.full(2160, log_close[0]), log_close[:-2160]])
    trend, regime = np.tanh(mom7 / 0.12), np.tanh(mom90 / 0.4)
    lean = (PREMIUM["mom7_up"] * np.maximum(trend - 0.3, 0) / 0.7 + PREMIUM["mom7_down"] * np.minimum(trend, 0)
            + PREMIUM["mom90_up"] * np.maximum(regime - 0.3, 0) / 0.7 + PREMIUM["mom90_down"] * np.minimum(regime, 0)
            + (PREMIUM["noise"] + PREMIUM["noise_trend"] * trend ** 2) * _ar1(z_prem, 1 - 1 / 36) * vol_regime)
    # basis traders cap the discount far more than the premium: negative leans are squeezed
    premium = PREMIUM["level"] + np.where(lean > 0, lean, PREMIUM["discount_squeeze"] * lean)
    for c, (n0, w) in zip(cascades, profiles):
        premium += _kernel(n0, w, int(c.pre_days * 24), c.prem_build, c.prem_build + c.prem_snap, 18)
    premium = np.clip(premium, -0.004, 0.004)

    # --- open interest (a third stream: OI mechanics never perturb price or premium) ---------------------
    third = np.random.default_rng([seed, 3])
    perp = _perp_oi_btc(third, log_close, z_oi, cascades, profiles)
    native = (_anchor_curve(NATIVE_FRACTION_ANCHORS, log=False)
              + 0.02 * np.tanh(_ar1(third.standard_normal(n), 1 - 1 / (24 * 60))))
    oi_btc, oi_other = perp * native, perp * (1 - native)

    # --- liquidations, spot volume, venue share ------------------------------------------------------
    liq_long, liq_short, liq_event = _liquidations(cascades, profiles, oi_btc * close, ret, z_liq)
    hours = np.arange(n)
    session = 1 + 0.35 * np.sin(2 * np.pi * ((hours % 24) - 9) / 24)  # busier in EU/US hours
    spot = (_anchor_curve(SPOT_VOLUME_ANCHORS, log=False) * session * np.exp(0.3 * z_spot - 0.045)
            * (1 + 30 * np.abs(ret)) + liq_event / close * 0.15)
    share = (_anchor_curve(BINANCE_SHARE_ANCHORS, log=False)
             + 0.035 * np.tanh(0.9 * _ar1(z_share, 1 - 1 / (24 * 90))))

    hourly = pd.DataFrame({
        "ts": START.astype("datetime64[ns]") + np.arange(n).astype("timedelta64[h]"),
        "open": open_, "high": high, "low": low, "close": close, "spot_volume_btc": spot,
        "oi_btc": oi_btc, "funding_8h": premium, "liq_long_usd": liq_long, "liq_short_usd": liq_short,
        "binance_oi_share": share,
    })
    # A second, independent stream: the venue split and CME never perturb the columns above.
    extra = np.random.default_rng([seed, 2])
    for column, values in {**_venue_shares(extra, share), **_venue_funding(extra, premium), **_cme(extra)}.items():
        hourly[column] = values
    for column, values in _venue_liquidations(third, hourly).items():
        hourly[column] = values
    # A fourth stream: Hyperliquid never perturbs anything above.
    fourth = np.random.default_rng([seed, 4])
    hyperliquid = _hyperliquid_oi_btc(fourth, oi_btc, oi_other)
    hourly["oi_btc_other"], hourly["oi_btc_hyperliquid"] = _carve(oi_other, hyperliquid)
    hourly["funding_8h_hyperliquid"] = premium + 0.00003 * _ar1(fourth.standard_normal(n), 1 - 1 / 48)
    return SampleWorld(seed=seed, hourly=hourly, cascades=tuple(cascades))


def _hyperliquid_oi_btc(rng: np.random.Generator, oi_btc: np.ndarray, oi_other: np.ndarray) -> np.ndarray:
    """Hyperliquid's BTC OI before the carve: its share of (our five + Hyperliquid) along
    ``HYPERLIQUID_SHARE_ANCHORS`` with a slow (~2 months) wobble of +-15 %, its own extra flush on 2025-10-10, 0
    before launch, at most ``HYPERLIQUID_MAX_OF_OTHERS`` of the other venues' OI."""
    wobble = 0.15 * np.tanh(_ar1(rng.standard_normal(N_HOURS), 1 - 1 / (24 * 60)))
    log_share = np.log(_anchor_curve(HYPERLIQUID_SHARE_ANCHORS, log=False)) + wobble
    flush = next(c for c in DOCUMENTED_CASCADES if c.name == HYPERLIQUID_FLUSH["cascade"])
    n0, w = _event_profile(flush)
    log_share += _kernel(n0, w, 0, 0.0, HYPERLIQUID_FLUSH["drop"], 24 * HYPERLIQUID_FLUSH["rebuild_days"])
    share = np.where(_days_since(HYPERLIQUID_LAUNCH) >= 0, np.exp(log_share), 0.0)
    return np.minimum(oi_btc * share / (1 - share), HYPERLIQUID_MAX_OF_OTHERS * oi_other)


def _carve(outside: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rest, part'): ``part`` carved out of ``outside`` so that ``rest + part' == outside`` bit for bit. With
    ``part <= outside / 2``, ``rest = outside - part`` lies in [outside / 2, outside], so ``outside - rest`` is exact
    (Sterbenz) and adding it back rounds to nothing: every aggregate over ``outside`` stays byte-identical."""
    rest = outside - part
    return rest, outside - rest


def _perp_oi_btc(rng: np.random.Generator, log_close: np.ndarray, z_oi: np.ndarray, cascades: list[Cascade],
                 profiles: list) -> np.ndarray:
    """Perp OI on all crypto venues (BTC): the real baseline; the price response; a slow wander (~3 weeks) and
    hour-scale jitter; surges; each cascade's build-up and flush (rebuilt over ~20 days).

    The price response has two sides, as in the real series: on ordinary days coin-margined books shrink in BTC as
    price rises (``PRICE_RESPONSE_ANCHORS`` times the price's distance from its ``OI_MEMORY_DAYS`` EMA), while big
    moves carry leverage with them: while price is more than ``OI_CHASE["beyond"]`` (log) away from 24 h before,
    each hourly move moves OI ``OI_CHASE["gain"]`` times as much, kept for ~a month (cascades excepted: their
    kernel sets their path). Real days beyond +-10 % in USD OI are big price days with BTC OI moving along."""
    a = 1 / (24 * OI_MEMORY_DAYS)
    ema = lfilter([a], [1.0, a - 1.0], log_close - log_close[0]) + log_close[0]
    ret = np.diff(log_close, prepend=log_close[0])
    day_move = log_close - np.concatenate([np.full(24, log_close[0]), log_close[:-24]])
    breakout = ret * (np.abs(day_move) > OI_CHASE["beyond"])
    for n0, w in profiles:  # a cascade's own kernel sets its OI path
        breakout[n0: n0 + len(w) + 24] = 0.0
    chase = lfilter([OI_CHASE["gain"]], [1.0, -(1 - 1 / (24 * 30))], breakout)
    log_oi = (_anchor_curve(PERP_OI_ANCHORS) + _anchor_curve(PRICE_RESPONSE_ANCHORS, log=False) * (log_close - ema)
              + chase + OI_NOISE["slow"] * _ar1(z_oi, 1 - 1 / (24 * 20))
              + OI_NOISE["fast"] * _ar1(rng.standard_normal(N_HOURS), 1 - 1 / 6) + _surges(rng))
    for c, (n0, w) in zip(cascades, profiles):
        log_oi += _kernel(n0, w, int(c.pre_days * 24), c.oi_build, c.oi_drop, 24 * 20)
    return np.exp(log_oi)


def _surges(rng: np.random.Generator) -> np.ndarray:
    """Sudden re-/de-leveraging steps in log OI, either sign, each over 4 hours and fading over ~a month: part of
    the fat tails of real daily changes that price moves and cascades alone do not give. Sizes are exponential,
    capped at 12 % (real daily BTC OI moves stay under ~15 %)."""
    count = rng.poisson(OI_NOISE["surges_per_year"] * N_HOURS / 8766)
    at = rng.integers(0, N_HOURS - 4, size=count)
    size = np.minimum(rng.exponential(OI_NOISE["surge_size"], size=count), 0.12)
    size *= np.where(rng.random(count) < OI_NOISE["surge_up"], 1, -1)
    impulses = np.zeros(N_HOURS)
    for k in range(4):
        np.add.at(impulses, at + k, size / 4)
    return lfilter([1.0], [1.0, -(1 - 1 / (24 * 30))], impulses)


def _liquidations(cascades: list[Cascade], profiles: list, oi_usd: np.ndarray, ret: np.ndarray,
                  z_liq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Long and short liquidations on our five venues (USD per hour), and the cascades' part of them: OI times the
    era's intensity, split into a busy/quiet background and a response convex in the hour's move against the
    side (real days are skewed: P99 ~7x the median), plus each cascade's flush (see ``Cascade``)."""
    n = N_HOURS
    typical = oi_usd * _anchor_curve(LIQ_INTENSITY_ANCHORS, log=False) / 24  # a median day's, per hour
    busy = np.exp(LIQ["busy"] * _ar1(z_liq, 1 - 1 / 24) - LIQ["busy"] ** 2 / 2)
    move = np.minimum(np.abs(ret) / HOURLY_SIGMA, LIQ["move_cap"]) ** 2
    event = np.zeros((2, n))
    for c, (n0, w) in zip(cascades, profiles):
        total = c.liq_usd if c.liq_usd > 0 else -c.liq_usd * typical[n0] * 24
        n1 = min(n0 + len(w), n)
        event[0, n0:n1] += total * c.long_share * w[: n1 - n0]
        event[1, n0:n1] += total * (1 - c.long_share) * w[: n1 - n0]
    long = typical * (LIQ["long"] * (LIQ["background"] * busy + LIQ["response"] * move * (ret < 0))) + event[0]
    short = typical * (LIQ["short"] * (LIQ["background"] * busy + LIQ["response"] * move * (ret > 0))) + event[1]
    return long, short, event.sum(axis=0)


def _venue_liquidations(rng: np.random.Generator, hourly: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each venue's long and short liquidations (USD per hour): the market's split by OI share times
    ``VENUE_LIQ_FACTOR`` with a persistent lean per venue; per side the venues sum exactly to
    ``liq_long_usd`` / ``liq_short_usd``."""
    weights = {}
    for venue in VENUES:
        lean = np.exp(0.25 * _ar1(rng.standard_normal(N_HOURS), 1 - 1 / (24 * 30)))
        weights[venue] = hourly[f"share_{venue}"].to_numpy(float) * VENUE_LIQ_FACTOR[venue] * lean
    total = sum(weights.values())
    out = {}
    for side in ("long", "short"):
        market = hourly[f"liq_{side}_usd"].to_numpy(float)
        for venue in VENUES:
            out[f"liq_{side}_usd_{venue}"] = market * weights[venue] / total
    return out

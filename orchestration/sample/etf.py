"""US spot bitcoin ETF flows per issuer in the sample world, derived from its market (the Farside and
SoSoValue lenses read them).

Why a model and not noise: spot ETF demand is one leg of the liquidity layer, and real flows move with the
market (real 2024-08..2025-09: daily total flow correlates 0.63 with the 3-day BTC return and 0.60 with the
price's distance from its 20-day mean). Here every US trading day from 2024-01-11 (NYSE calendar:
``us_market_holidays``) has one common demand factor ``z`` built from the world's own price at the US close
(21:00 UTC): the 3-day log return and the distance from the 20-day mean, each standardised over 2024-2025,
plus an autocorrelated, fat-tailed remainder. Each issuer's flow is its mean plus its loading on ``z`` plus
its own noise, on the days it has creations or redemptions at all: small funds report exactly 0.0 on most
days (real: BTCO, EZBC, BRRR, BTCW 50-90 % of days). GBTC carries the 2024 redemptions after its conversion
(~-500 M$ a day in January, fading by May); the Grayscale mini trust (BTC) lists on 2024-07-31 with 10 % of
GBTC's bitcoin, so a ticker column appears over time. Per-issuer means, loadings, noise and zero-day shares
are anchored per period on the real Farside history (``shared/realdata/etf``) and calibrated in
tests/unit/test_sample_calibration_etf.py. Holdings follow the flows at the day's price, so net assets move
with the market; value traded is a turnover of net assets that rises with the day's move.

Everything is a deterministic function of the world (seeded streams of its seed), computed once per world.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from orchestration.sample.world import HOUR_MS, SampleWorld

ETF_LAUNCH = date(2024, 1, 11)
LAST_DAY = date(2030, 12, 31)
US_CLOSE_HOUR = 21  # the price at 21:00 UTC stands for the US close (16:00 ET in winter)
STANDARDISE = (date(2024, 1, 11), date(2025, 12, 31))  # the span the market signals are standardised over
# NYSE closures outside its regular holiday rules (national days of mourning)
SPECIAL_CLOSURES = (date(2018, 12, 5), date(2025, 1, 9))
# the demand factor: z = R3 * 3-day return + M20 * distance from the 20-day mean + REST * remainder
FACTOR = {"r3": 0.42, "m20": 0.40, "rest": 0.66, "rest_phi": 0.6, "rest_df": 5.0}
GBTC_STARTING_BTC = 619_220.0  # GBTC's bitcoin on conversion day (2024-01-11)
MINI_SPIN_OFF = 0.10  # the mini trust (BTC) starts with this share of GBTC's bitcoin, not a flow
OWN_PHI = 0.4  # a fund's own noise persists a little (flows come in waves)
TURNOVER = {"base": 0.018, "move": 8.0, "noise": 0.3}  # value traded / net assets a day


@dataclass(frozen=True)
class Issuer:
    """One fund. Anchors are (day, mean flow, loading on the demand factor, own noise sd, share of days with
    no creation or redemption), USD millions a day; linear in between, flat after the last."""

    ticker: str
    listed: date
    anchors: tuple[tuple[str, float, float, float, float], ...]


# Real Farside per period (mean / sd / zero-day share, US$m): 2024-01..05 IBIT 170/180/0.11, FBTC 91/100/0.05,
# GBTC -183/175/0.05; 2024-06..12 IBIT 140/218/0.26, FBTC 19/98/0.08, ARKB 0/61/0.18; 2025-01..09 IBIT
# 127/241/0.11, FBTC 1/119/0.19, ARKB -2/82/0.22, BTC 5.5/20/0.53, small funds -1..2/6..8/0.75..0.86.
ISSUERS: tuple[Issuer, ...] = (
    Issuer("IBIT", ETF_LAUNCH, (("2024-01-11", 190, 95, 80, 0.08), ("2024-06-01", 140, 150, 100, 0.25),
                                ("2025-01-01", 125, 185, 120, 0.11))),
    Issuer("FBTC", ETF_LAUNCH, (("2024-01-11", 125, 50, 50, 0.05), ("2024-06-01", 18, 65, 60, 0.08),
                                ("2025-01-01", 0, 85, 75, 0.19))),
    Issuer("BITB", ETF_LAUNCH, (("2024-01-11", 25, 15, 20, 0.15), ("2024-06-01", 1.5, 18, 25, 0.15),
                                ("2025-01-01", 1, 16, 22, 0.25))),
    Issuer("ARKB", ETF_LAUNCH, (("2024-01-11", 28, 20, 30, 0.15), ("2024-06-01", -5, 35, 45, 0.18),
                                ("2025-01-01", -1.5, 55, 60, 0.22))),
    Issuer("BTCO", ETF_LAUNCH, (("2024-01-11", 3, 4, 8, 0.44), ("2024-06-01", 0, 1.2, 2.5, 0.72),
                                ("2025-01-01", -1, 2.0, 6.0, 0.75))),
    Issuer("EZBC", ETF_LAUNCH, (("2024-01-11", 3.5, 2.5, 5, 0.53), ("2024-06-01", 0.7, 1.0, 2.2, 0.78),
                                ("2025-01-01", -1, 1.5, 3.5, 0.75))),
    Issuer("BRRR", ETF_LAUNCH, (("2024-01-11", 5, 3, 5, 0.49), ("2024-06-01", 0.2, 0.3, 1.0, 0.84),
                                ("2025-01-01", -1.2, 1.0, 3.0, 0.86))),
    Issuer("HODL", ETF_LAUNCH, (("2024-01-11", 5, 4, 8, 0.39), ("2024-06-01", 1.8, 3, 5, 0.44),
                                ("2025-01-01", 2.5, 2.5, 4, 0.54))),
    Issuer("BTCW", ETF_LAUNCH, (("2024-01-11", 0.7, 0.4, 1.0, 0.61), ("2024-06-01", 1.0, 0.8, 2.5, 0.93),
                                ("2025-01-01", -1, 0.8, 2.0, 0.86))),
    Issuer("GBTC", ETF_LAUNCH, (("2024-01-11", -500, 30, 110, 0.0), ("2024-02-05", -150, 25, 60, 0.02),
                                ("2024-03-18", -320, 30, 90, 0.02), ("2024-04-22", -90, 20, 40, 0.05),
                                ("2024-05-20", -25, 15, 22, 0.15), ("2024-09-01", -20, 12, 20, 0.25),
                                ("2025-01-01", -14, 10, 18, 0.47))),
    Issuer("BTC", date(2024, 7, 31), (("2024-07-31", 6, 8, 16, 0.55), ("2025-01-01", 5.5, 6, 11, 0.53))),
)
TICKERS = tuple(issuer.ticker for issuer in ISSUERS)


# --- the US market calendar ------------------------------------------------------------------------------
def _easter(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th ``weekday`` (Monday 0) of a month; n = -1 for the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date | None:
    """A fixed-date holiday on a weekend moves to Friday (Saturday) or Monday (Sunday); NYSE does not close
    on a Friday Dec 31 for a Saturday New Year's Day."""
    if day.weekday() == 6:
        return day + timedelta(days=1)
    if day.weekday() == 5:
        return None if (day.month, day.day) == (1, 1) else day - timedelta(days=1)
    return day


def us_market_holidays(year: int) -> set[date]:
    """NYSE full-day closures of a year: New Year, Martin Luther King Jr. (3rd Monday of January),
    Washington's Birthday (3rd Monday of February), Good Friday, Memorial Day (last Monday of May),
    Juneteenth (from 2022), Independence Day, Labor Day (1st Monday of September), Thanksgiving (4th
    Thursday of November), Christmas, and the special closures in ``SPECIAL_CLOSURES``. The dbt macro
    ``us_market_holidays`` is the same calendar (tests hold them equal)."""
    fixed = [date(year, 1, 1), date(year, 7, 4), date(year, 12, 25)] + ([date(year, 6, 19)] if year >= 2022 else [])
    days = {d for d in map(_observed, fixed) if d is not None}
    days |= {_nth_weekday(year, 1, 0, 3), _nth_weekday(year, 2, 0, 3), _easter(year) - timedelta(days=2),
             _nth_weekday(year, 5, 0, -1), _nth_weekday(year, 9, 0, 1), _nth_weekday(year, 11, 3, 4)}
    return days | {d for d in SPECIAL_CLOSURES if d.year == year}


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5 and day not in us_market_holidays(day.year)


def trading_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)
            if is_trading_day(first + timedelta(days=i))]


# --- flows -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class EtfFlows:
    """Per US trading day from 2024-01-11 (index ``day``, midnight): ``flows_usd`` per ticker (NaN before
    its listing), ``price_usd`` at the US close, ``net_assets_usd`` (all funds' bitcoin at that price) and
    ``value_traded_usd``. Treat as read-only: it is cached and shared."""

    flows_usd: pd.DataFrame
    price_usd: pd.Series
    net_assets_usd: pd.Series
    value_traded_usd: pd.Series

    @property
    def total_usd(self) -> pd.Series:
        return self.flows_usd.sum(axis=1, min_count=1)

    def listed(self, day: date) -> list[str]:
        return [i.ticker for i in ISSUERS if i.listed <= day]


def _anchored(issuer: Issuer, days: pd.DatetimeIndex) -> np.ndarray:
    """(n, 4) mean, loading, noise, zero share of ``issuer`` per day."""
    at = np.array([pd.Timestamp(a[0]).as_unit("ns").value for a in issuer.anchors], dtype=float)
    x = days.as_unit("ns").asi8.astype(float)
    return np.column_stack([np.interp(x, at, [a[k] for a in issuer.anchors]) for k in range(1, 5)])


def _market_factor(world: SampleWorld, days: pd.DatetimeIndex,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The common demand factor z per trading day (unit variance over ``STANDARDISE``) and the price at the
    US close."""
    calendar = pd.date_range(days[0] - pd.Timedelta(days=25), days[-1], freq="D")
    close_ms = calendar.as_unit("ms").asi8 + US_CLOSE_HOUR * HOUR_MS
    log_price = pd.Series(np.log(world.price_at(close_ms)), index=calendar)
    r3 = (log_price - log_price.shift(3))[days].to_numpy()
    m20 = (log_price - log_price.shift(1).rolling(20).mean())[days].to_numpy()
    span = (days >= pd.Timestamp(STANDARDISE[0])) & (days <= pd.Timestamp(STANDARDISE[1]))
    df = FACTOR["rest_df"]
    shocks = rng.standard_t(df, size=len(days)) / np.sqrt(df / (df - 2))
    rest = _ar1(shocks, FACTOR["rest_phi"])
    return (FACTOR["r3"] * r3 / r3[span].std() + FACTOR["m20"] * m20 / m20[span].std()
            + FACTOR["rest"] * rest), np.exp(log_price[days].to_numpy())


def _ar1(noise: np.ndarray, phi: float) -> np.ndarray:
    """x_t = phi x_{t-1} + sqrt(1 - phi^2) noise_t: unit variance from standard noise."""
    return lfilter([np.sqrt(1 - phi * phi)], [1.0, -phi], noise)


@lru_cache(maxsize=4)
def etf_flows(world: SampleWorld) -> EtfFlows:
    """The ETF flows of ``world`` (cached per world)."""
    days = pd.DatetimeIndex([pd.Timestamp(d) for d in trading_days(ETF_LAUNCH, LAST_DAY)])
    rng = np.random.default_rng([world.seed, 10])
    z, price = _market_factor(world, days, rng)
    flows = {}
    for issuer in ISSUERS:
        mean, loading, noise, zero_share = _anchored(issuer, days).T
        own = _ar1(rng.standard_normal(len(days)), OWN_PHI)
        active = rng.random(len(days)) >= zero_share
        # a fund active on fewer days moves more on those days: its mean and market share are kept
        musd = np.where(active, (mean + loading * z) / np.maximum(1 - zero_share, 0.05) + noise * own, 0.0)
        musd[days < pd.Timestamp(issuer.listed)] = np.nan
        flows[issuer.ticker] = musd * 1e6
    flows_usd = pd.DataFrame(flows, index=days)
    holdings = {t: np.zeros(len(days)) for t in TICKERS}
    btc = dict.fromkeys(TICKERS, 0.0)
    btc["GBTC"] = GBTC_STARTING_BTC
    mini = next(i for i in ISSUERS if i.ticker == "BTC").listed
    for k, day in enumerate(days):
        if day == pd.Timestamp(mini):
            btc["BTC"], btc["GBTC"] = btc["GBTC"] * MINI_SPIN_OFF, btc["GBTC"] * (1 - MINI_SPIN_OFF)
        for ticker in TICKERS:
            flow = flows[ticker][k]
            btc[ticker] = max(btc[ticker] + (0.0 if np.isnan(flow) else flow / price[k]), 0.0)
            holdings[ticker][k] = btc[ticker]
    net_assets = sum(holdings.values()) * price
    move = np.abs(np.diff(np.log(price), prepend=np.log(price[0])))
    turnover = TURNOVER["base"] * (1 + TURNOVER["move"] * move) * np.exp(
        TURNOVER["noise"] * rng.standard_normal(len(days)) - TURNOVER["noise"] ** 2 / 2)
    return EtfFlows(flows_usd, pd.Series(price, index=days), pd.Series(net_assets, index=days),
                    pd.Series(net_assets * turnover, index=days))

"""Coinalyze as seen in the sample world: the three history endpoints the connector uses, per-venue symbols,
``[{"symbol", "history": [...]}]`` answers, ``{"message": ...}`` errors with HTTP 400, UNIX-second times, so
chunking and parsing run unchanged offline. No API key is needed (sample mode has none).

Numbers come from the world, per venue:

- open interest: ``venue_oi_btc_at(venue, x)`` (times ``price_at(x)`` with ``convert_to_usd=true``) sampled at
  the bar start (open), at every hour in the bar (high/low) and at the start of the bar's **last minute**
  (close: 23:59 UTC for a daily bar, not the venue's 24:00 day-end);
- funding (percent): the rate quoted during each hour of the bar; open = first hour, close = last hour (the
  day's last rate). Binance/OKX/Bybit quote their last settled 8-hourly rate (their clamp formula on the mean
  of ``funding_8h_<venue>`` over the 8 hours before each 00/08/16 UTC settlement, as their own lenses
  publish it); Deribit its rolling 8-hour sum of ``funding_8h_deribit / 8``; dYdX its last hourly rate
  ``funding_8h_dydx / 8`` (per 1 h);
- liquidations: the sum over the bar's hours of ``liq_long_usd_<venue>`` / ``liq_short_usd_<venue>``.

Deliberate differences from the venues' own APIs (an aggregator's reality, for downstream cross-checks):

- the daily OI close is sampled one minute before the venue's day-end (``CLOSE_OFFSET_MS``);
- dYdX coverage begins on ``DYDX_COVERAGE`` (2023-12-01), weeks after dYdX v4's launch (2023-10-27): the
  symbol answers an empty history before;
- Hyperliquid (``BTCUSD_PERP.H``: exchange code ``H``, the symbol public Coinalyze clients use and a recorded
  ``/future-markets`` answer lists) is covered from ``HYPERLIQUID_COVERAGE`` (2024-01-01, [unverified]: an
  aggregator's lag, months after Hyperliquid's BTC perp opened on 2023-05-12, once its OI had grown to a venue
  worth tracking); its OI is ``hyperliquid_oi_btc_at``, its funding the last settled hourly rate (Hyperliquid's
  formula on ``funding_8h_hyperliquid``, per 1 h, as dYdX's); the world has no Hyperliquid liquidations, so its
  liquidation history is empty;
- ``OUTAGE_VENUE`` (Bybit) has collector outages: ~``OUTAGE_RATE`` (0.5 %) of days, deterministic per day,
  have no bar at all for it (every endpoint, every interval);
- liquidations come from the venues' public streams, which undercount: each venue-day is 2-6 %
  (``LIQ_UNDERCOUNT``, deterministic per venue and day) under the world's truth.

Bars start on multiples of the interval (UTC), are served from ``FIRST_BAR`` (liquidations: the last
``LIQ_HISTORY_DAYS`` days) up to now, the bar in progress included (its values up to now). Lens choices
([unverified] on the real API): unknown symbols and millisecond timestamps answer 400; no cap on bars per
call; sub-hour intervals answer 400 (the world is hourly).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import cached_property
from typing import Mapping

import numpy as np

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample import binance as binance_lens, bybit as bybit_lens, hyperliquid as hyperliquid_lens
from orchestration.sample import okx as okx_lens
from orchestration.sample.lens import DAY_MS, Lens, LensError, clamped_rate, json_response
from orchestration.sample.world import HOUR_MS, N_HOURS, START_MS, VENUES, SampleWorld, hash_unit

HOST = "api.coinalyze.net"
SYMBOLS = {"BTCUSDT_PERP.A": "binance", "BTCUSDT.6": "bybit", "BTCUSDT_PERP.3": "okx", "BTCUSD_PERP.2": "deribit",
           "BTC-USD_PERP.8": "dydx", "BTCUSD_PERP.H": "hyperliquid"}
MAX_SYMBOLS = 20
INTERVALS_S = {"1min": 60, "5min": 300, "15min": 900, "30min": 1800, "1hour": 3600, "2hour": 7200,
               "4hour": 14400, "6hour": 21600, "12hour": 43200, "daily": 86400}
MS_THRESHOLD = 100_000_000_000  # a "from"/"to" this large is milliseconds, not seconds


def _day_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()) * 1000


FIRST_BAR = date(2020, 1, 21)
FIRST_BAR_MS = _day_ms(FIRST_BAR)
LIQ_HISTORY_DAYS = 730
DYDX_COVERAGE = date(2023, 12, 1)
DYDX_COVERAGE_MS = _day_ms(DYDX_COVERAGE)
HYPERLIQUID_COVERAGE = date(2024, 1, 1)
HYPERLIQUID_COVERAGE_MS = _day_ms(HYPERLIQUID_COVERAGE)
OUTAGE_VENUE = "bybit"
OUTAGE_RATE = 0.005
LIQ_UNDERCOUNT = (0.02, 0.06)  # fraction of the world's liquidations the streams miss, per venue-day
CLOSE_OFFSET_MS = 60_000
END_MS = START_MS + N_HOURS * HOUR_MS
SALT_OUTAGE, SALT_LIQ = 41, 42
# (interest per 8 h, clamp, cap) of the venues that settle every 8 h, from their own lenses
SETTLING = {"binance": (binance_lens.INTEREST_8H, binance_lens.CLAMP, binance_lens.CAP),
            "okx": (okx_lens.INTEREST_8H, okx_lens.CLAMP, okx_lens.CAP),
            "bybit": (bybit_lens.INTEREST_8H, bybit_lens.CLAMP, bybit_lens.CAP)}


def message(status: int, text: str) -> HttpResponse:
    return json_response({"message": text}, status)


def bad(text: str) -> LensError:
    return LensError(message(400, text))


def outage_days(day_keys: np.ndarray, seed: int) -> np.ndarray:
    """Whether ``OUTAGE_VENUE`` has no data on each day (``day_keys`` = days since the epoch)."""
    return hash_unit(day_keys, seed, SALT_OUTAGE) >= 1 - 2 * OUTAGE_RATE


def liquidation_capture(venue: str, day_keys: np.ndarray, seed: int) -> np.ndarray:
    """Fraction of the world's liquidations the venue's public stream shows, per day (0.94..0.98)."""
    lo, hi = LIQ_UNDERCOUNT
    u = (hash_unit(np.asarray(day_keys, dtype=np.int64) * 8 + VENUES.index(venue), seed, SALT_LIQ) + 1) / 2
    return 1 - (lo + (hi - lo) * u)


class CoinalyzeLens(Lens):
    hosts = (HOST,)

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.route(HOST, r"/v1/open-interest-history", self.open_interest)
        self.route(HOST, r"/v1/funding-rate-history", self.funding)
        self.route(HOST, r"/v1/liquidation-history", self.liquidations)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return message(404, "Not Found")

    def bad_integer(self, name: str) -> HttpResponse:
        return message(400, f"'{name}' must be an integer UNIX timestamp in seconds")

    # -- parameters -------------------------------------------------------------------------------------
    def _params(self, params: Mapping[str, str], now_ms: int, first_ms: int) -> tuple[list[str], int, np.ndarray]:
        """(symbols, step ms, bar starts ms) of a valid request; raises a 400 otherwise."""
        raw = params.get("symbols", "")
        symbols = [s.strip() for s in raw.split(",") if s.strip()]
        if not symbols:
            raise bad("'symbols' is required")
        if len(symbols) > MAX_SYMBOLS:
            raise bad(f"Too many symbols: {len(symbols)} given, at most {MAX_SYMBOLS} per request")
        unknown = [s for s in symbols if s not in SYMBOLS]
        if unknown:
            raise bad(f"Invalid symbol(s): {', '.join(unknown)}")
        interval = params.get("interval")
        if interval not in INTERVALS_S:
            raise bad(f"'interval' must be one of {', '.join(INTERVALS_S)}")
        if INTERVALS_S[interval] < 3600:
            raise bad(f"interval {interval} is finer than the sample world's hourly grid")
        bounds = []
        for name in ("from", "to"):
            value = self.int_param(params, name)
            if value is None:
                raise bad(f"'{name}' is required")
            if abs(value) >= MS_THRESHOLD:
                raise bad(f"'{name}' looks like milliseconds: UNIX timestamps in seconds are expected")
            bounds.append(value * 1000)
        if bounds[0] > bounds[1]:
            raise bad("'from' must not be after 'to'")
        if params.get("convert_to_usd", "false") not in ("true", "false"):
            raise bad("'convert_to_usd' must be true or false")
        step = INTERVALS_S[interval] * 1000
        first = -(-max(bounds[0], first_ms) // step) * step
        last = min(bounds[1], now_ms, END_MS - 1) // step * step
        return symbols, step, np.arange(first, last + 1, step, dtype=np.int64) if last >= first else np.arange(0)

    def _served(self, venue: str, starts: np.ndarray) -> np.ndarray:
        """Which bars Coinalyze has for ``venue``: dYdX from its coverage start, none on outage days."""
        keep = np.ones(len(starts), dtype=bool)
        if venue == "dydx":
            keep &= starts >= DYDX_COVERAGE_MS
        if venue == "hyperliquid":
            keep &= starts >= HYPERLIQUID_COVERAGE_MS
        if venue == OUTAGE_VENUE:
            keep &= ~outage_days(starts // DAY_MS, self.world.seed)
        return keep

    def _answer(self, symbols: list[str], starts: np.ndarray, bars) -> HttpResponse:
        """``bars(venue, starts)`` -> {key: values} (None: no history for the venue); one history per requested
        symbol, in request order."""
        cache: dict[str, list[dict]] = {}
        out = []
        for symbol in symbols:
            if symbol not in cache:
                venue = SYMBOLS[symbol]
                picked = starts[self._served(venue, starts)]
                history: list[dict] = []
                found = bars(venue, picked) if len(picked) else None
                if found is not None:
                    columns = {k: np.asarray(v, dtype=float).tolist() for k, v in found.items()}
                    t = (picked // 1000).tolist()
                    history = [dict(zip(("t", *columns), row)) for row in zip(t, *columns.values())]
                cache[symbol] = history
            out.append({"symbol": symbol, "history": cache[symbol]})
        return json_response(out)

    @staticmethod
    def _hours(starts: np.ndarray, step: int, now_ms: int) -> tuple[np.ndarray, np.ndarray]:
        """(hour index matrix, weight matrix): the hours of each bar and how much of each has elapsed (0..1)."""
        k = step // HOUR_MS
        begin = starts[:, None] + np.arange(k, dtype=np.int64)[None, :] * HOUR_MS
        weight = np.clip((now_ms - begin) / HOUR_MS, 0.0, 1.0)
        return np.clip((begin - START_MS) // HOUR_MS, 0, N_HOURS - 1), weight

    @classmethod
    def _ohlc(cls, series: np.ndarray, starts: np.ndarray, step: int, now_ms: int, scale: float) -> dict:
        """OHLC of an hourly quote series over each bar's hours that have begun by ``now``."""
        idx, weight = cls._hours(starts, step, now_ms)
        values = series[idx] * scale
        begun = weight > 0
        begun[:, 0] = True  # a bar is served once it starts
        last = begun.sum(axis=1) - 1
        rows = np.arange(len(starts))
        return {"o": np.round(values[:, 0], 8),
                "h": np.round(np.where(begun, values, -np.inf).max(axis=1), 8),
                "l": np.round(np.where(begun, values, np.inf).min(axis=1), 8),
                "c": np.round(values[rows, last], 8)}

    # -- open interest ----------------------------------------------------------------------------------
    def open_interest(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        symbols, step, starts = self._params(params, now_ms, FIRST_BAR_MS)
        usd = params.get("convert_to_usd", "false") == "true"

        def bars(venue: str, picked: np.ndarray) -> dict:
            hours = picked[:, None] + np.arange(step // HOUR_MS, dtype=np.int64)[None, :] * HOUR_MS
            close_at = np.minimum(picked + step - CLOSE_OFFSET_MS, now_ms // 60_000 * 60_000)
            instants = np.concatenate([hours, close_at[:, None]], axis=1)
            valid = instants <= np.maximum(now_ms, picked)[:, None]
            valid[:, -1] = True
            oi = (self.world.hyperliquid_oi_btc_at(instants) if venue == "hyperliquid"
                  else self.world.venue_oi_btc_at(venue, instants))
            if usd:
                oi = oi * self.world.price_at(instants)
            places = 2 if usd else 4
            return {"o": np.round(oi[:, 0], places),
                    "h": np.round(np.where(valid, oi, -np.inf).max(axis=1), places),
                    "l": np.round(np.where(valid, oi, np.inf).min(axis=1), places),
                    "c": np.round(oi[:, -1], places)}

        return self._answer(symbols, starts, bars)

    # -- funding ----------------------------------------------------------------------------------------
    def _premium(self, venue: str) -> np.ndarray:
        return self.world.hourly[f"funding_8h_{venue}"].to_numpy(float)

    @staticmethod
    def _settle(mean: np.ndarray, venue: str) -> np.ndarray:
        return clamped_rate(mean, *SETTLING[venue])

    @cached_property
    def funding_quotes(self) -> dict[str, np.ndarray]:
        """Per venue, the funding rate (fraction per the venue's interval) quoted during each world hour."""
        h = np.arange(N_HOURS)
        out = {}
        for venue in SETTLING:
            csum = np.concatenate([[0.0], np.cumsum(self._premium(venue))])
            k = 8 * (h // 8)  # the last settlement boundary at or before the hour's start
            lo, hi = np.maximum(k - 8, 0), np.maximum(k, 1)
            out[venue] = np.round(self._settle((csum[hi] - csum[lo]) / (hi - lo), venue), 8)
        i1 = self._premium("deribit") / 8
        csum = np.concatenate([[0.0], np.cumsum(i1)])
        out["deribit"] = csum[h + 1] - csum[np.maximum(h - 7, 0)]  # rolling 8 h, through this hour
        rate = self._premium("dydx") / 8
        out["dydx"] = np.concatenate([[rate[0]], rate[:-1]])  # settled at the hour's start: the previous hour's
        rate = hyperliquid_lens.hourly_rate(np.round(self._premium("hyperliquid"), 8))  # as its lens publishes it
        out["hyperliquid"] = np.concatenate([[rate[0]], rate[:-1]])
        return out

    def funding(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        symbols, step, starts = self._params(params, now_ms, FIRST_BAR_MS)
        quotes = self.funding_quotes
        return self._answer(symbols, starts, lambda venue, picked: self._ohlc(quotes[venue], picked, step, now_ms, 100))

    # -- liquidations -----------------------------------------------------------------------------------
    def liquidations(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        first = max(FIRST_BAR_MS, (now_ms - LIQ_HISTORY_DAYS * DAY_MS) // DAY_MS * DAY_MS)
        symbols, step, starts = self._params(params, now_ms, first)
        usd = params.get("convert_to_usd", "false") == "true"
        close = self.world.hourly["close"].to_numpy(float)

        def bars(venue: str, picked: np.ndarray) -> dict | None:
            if venue not in VENUES:
                return None  # the world has no liquidations for it
            idx, weight = self._hours(picked, step, now_ms)
            capture = liquidation_capture(venue, picked // DAY_MS, self.world.seed)[:, None]
            out = {}
            for key, side in (("l", "long"), ("s", "short")):
                hourly = self.world.hourly[f"liq_{side}_usd_{venue}"].to_numpy(float)[idx] * weight * capture
                out[key] = np.round((hourly if usd else hourly / close[idx]).sum(axis=1), 2 if usd else 6)
            return out

        return self._answer(symbols, starts, bars)

"""CoinGlass API v4 as seen in the sample world: the aggregated OI / OI-weighted funding / aggregated
liquidation histories and the aggregated liquidation heatmap (model2), at their real URLs, in CoinGlass's
``{"code", "msg", "data"}`` envelope and error codes, so the connector's paging and parsing run unchanged.

Authentication: the real API wants ``CG-API-KEY``; the sample transport sees requests exactly as the client
sends them and sample runs set no key, so this lens does **not** require the header (a key, if sent, is
ignored). The sample plays a low ("Hobbyist") plan for the histories: intervals below 4 h answer 401; the
heatmap (a Professional endpoint) is served anyway.

How the aggregator differs from the venues (deliberately, so the downstream cross-checks have work):

- **OI** covers *all* exchanges: the five landed venues (``oi_btc``) plus the other crypto venues
  (``outside_oi_btc()``: ``oi_btc_other`` and Hyperliquid's ``oi_btc_hyperliquid``) plus CME (``cme_oi_btc``),
  times the price; a bar's open/close are the levels at its start/end (hour boundaries; an in-progress bar
  closes at the last full hour), high/low the extremes of the hour boundaries in between. ``unit=usd``
  (default) or ``coin``. Numbers as strings, as in CoinGlass's docs.
- **OI-weighted funding**, in **percent** per 8 h, weighted by OI over the five venues and the other venues
  (CME pays no funding): each venue's current rate per hour (Binance/OKX/Bybit their clamp formulas on their
  own premium, Deribit/dYdX their premium as is, the other venues the clamp formula on the market premium);
  OHLC of the hourly values in the bar. Numbers as strings.
- **Liquidations** are summed over ``exchange_list`` (any of Binance, OKX, Bybit, Deribit, dYdX) with
  CoinGlass's own collection: each UTC day and side scaled by ``0.95 .. 1.01`` (deterministic per day,
  ``hash_unit``); the last ``REVISION_HOURS`` (48 h) before now are served incomplete (85 % of the final
  figure for the freshest hour rising to 95 % for one 48 h old, the final figure after that: a later request
  re-serves the day complete); about ``OUTAGE_RATE`` (0.5 %) of days are missing from the history altogether
  (an outage: sub-daily bars of that day are missing, a weekly bar lacks the day). JSON numbers.
- **Heatmap**: positions opened over the range (per candle: the rise of crypto-native OI incl. the other
  venues, plus ``TURNOVER_SHARE`` of the candle's volume, half long, half short, at the candle's close),
  spread over leverage tiers ``LEVERAGE`` with ``TIER_WEIGHTS``, liquidating at ``entry*(1-1/L+mm)`` (long)
  / ``entry*(1+1/L-mm)`` (short), dropped once a later candle's low/high crossed them; binned on a price
  grid ``+-HALF_SPAN`` around the current price. Candles are sampled from the world's (log-interpolated)
  price, the last one in progress up to now; candle times in **seconds**, prices as strings (as in the docs),
  ``update_time`` in ms.

History: from ``HISTORY_START`` (2020-02-27) and bars begun by ``now``; ``limit`` default and max 1000; with
``start_time`` the earliest bars from it, else the latest up to ``end_time``/now, ascending (lens choices).
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import cached_property
from typing import Mapping

import numpy as np

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample import binance as binance_lens, bybit as bybit_lens, okx as okx_lens
from orchestration.sample.lens import DAY_MS, Lens, LensError, clamped_rate, json_response, window
from orchestration.sample.world import HOUR_MS, N_HOURS, START_MS, VENUES, SampleWorld, hash_unit

HOST = "open-api-v4.coinglass.com"
SYMBOL = "BTC"
HISTORY_START_MS = int(datetime(2020, 2, 27, tzinfo=timezone.utc).timestamp() * 1000)
LIMIT_MAX = 1000
INTERVAL_HOURS = {"4h": 4, "6h": 6, "8h": 8, "12h": 12, "1d": 24, "1w": 168}
PLAN_LIMITED = ("1m", "3m", "5m", "15m", "30m", "1h")  # valid, but not on the low plan the sample plays
WEEK_OFFSET_H = 96  # weekly bars start on Mondays; 1970-01-05 00:00 is 96 h after the epoch
EXCHANGES = {"Binance": "binance", "OKX": "okx", "Bybit": "bybit", "Deribit": "deribit", "dYdX": "dydx"}

COLLECTION_BASE, COLLECTION_SPREAD = 0.98, 0.03  # per day and side: 0.98 + 0.03 * u, u in [-1, 1)
REVISION_HOURS = 48
REVISION_FRESH, REVISION_OLD = 0.85, 0.95
OUTAGE_RATE = 0.005
SALT_LONG, SALT_SHORT, SALT_OUTAGE = 61, 62, 63

HEATMAP_RANGES = {  # range -> (span, candle) in ms
    "12h": (12 * HOUR_MS, 300_000), "24h": (24 * HOUR_MS, 300_000), "3d": (3 * DAY_MS, 300_000),
    "7d": (7 * DAY_MS, 900_000), "30d": (30 * DAY_MS, HOUR_MS), "90d": (90 * DAY_MS, 4 * HOUR_MS),
    "180d": (180 * DAY_MS, 6 * HOUR_MS), "1y": (365 * DAY_MS, 12 * HOUR_MS)}
LEVERAGE = np.array([5.0, 10.0, 25.0, 50.0, 100.0])
TIER_WEIGHTS = np.array([0.25, 0.30, 0.25, 0.12, 0.08])
MAINTENANCE = 0.005
TURNOVER_SHARE = 0.05
DERIVATIVES_TO_SPOT = 12  # derivatives turnover as a multiple of Binance spot volume (as the OKX lens)
HALF_SPAN, GRID_STEP = 0.22, 0.001  # price grid: +-22 % of the current price in steps of 0.1 %
SAMPLES = 13  # price samples per candle


def envelope(data) -> HttpResponse:
    return json_response({"code": "0", "msg": "success", "data": data})


def fail(code: str, msg: str, status: int = 200) -> LensError:
    """CoinGlass errors: parameter problems answer HTTP 200 with code "400" [unverified]."""
    return LensError(json_response({"code": code, "msg": msg}, status))


def plan_error(what: str) -> LensError:
    return fail("401", f"Upgrade plan: {what} is not available on your current plan", 401)


def pct_text(x: float) -> str:
    """CoinGlass-style funding: up to 6 decimals, trailing zeros dropped ("0.01", "-0.004603")."""
    text = np.format_float_positional(round(float(x), 6), trim="-")
    return "0" if text in ("-0", "") else text


class CoinglassLens(Lens):
    hosts = (HOST,)

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.route(HOST, r"/api/futures/open-interest/aggregated-history", self.oi_history)
        self.route(HOST, r"/api/futures/funding-rate/oi-weight-history", self.funding_history)
        self.route(HOST, r"/api/futures/liquidation/aggregated-history", self.liquidation_history)
        self.route(HOST, r"/api/futures/liquidation/aggregated-heatmap/model2", self.heatmap)
        self._liquidation_cache: dict[frozenset, tuple[np.ndarray, np.ndarray]] = {}

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return json_response({"code": "404", "msg": "Not Found"}, 404)

    def bad_integer(self, name: str) -> HttpResponse:
        return json_response({"code": "400", "msg": f"{name} is invalid"})

    @staticmethod
    def symbol(params: Mapping[str, str]) -> str:
        symbol = params.get("symbol")
        if not symbol:
            raise fail("400", "symbol is required")
        if symbol != SYMBOL:
            raise fail("400", f"symbol {symbol} is not supported")
        return symbol

    # -- bars --------------------------------------------------------------------------------------------
    def bars(self, params: Mapping[str, str], now_ms: int, missing=None) -> tuple[np.ndarray, int]:
        """(world-hour index of each served bar's start, bar length in hours) for the request; ``missing``
        flags bar starts the history lacks (outage days; bars of a day or less only)."""
        step, start, end, limit = self.history_params(params)
        interval = params["interval"]
        offset = WEEK_OFFSET_H if interval == "1w" else 0
        first_h = max(HISTORY_START_MS, START_MS) // HOUR_MS
        last_h = min(now_ms, START_MS + (N_HOURS - step) * HOUR_MS) // HOUR_MS  # bars begun by now
        k = np.arange(-(-(first_h - offset) // step), (last_h - offset) // step + 1, dtype=np.int64)
        times = (offset + k * step) * HOUR_MS
        if missing is not None and step <= 24:
            times = times[~missing(times)]
        picked = times[window(times, start, end, limit)]
        return (picked - START_MS) // HOUR_MS, step

    def history_params(self, params: Mapping[str, str]) -> tuple[int, int | None, int | None, int]:
        """(bar hours, start_time, end_time, limit) of a history request, its errors in CoinGlass's words."""
        self.symbol(params)
        interval = params.get("interval")
        if not interval:
            raise fail("400", "interval is required")
        if interval in PLAN_LIMITED:
            raise plan_error(f"interval {interval}")
        if interval not in INTERVAL_HOURS:
            raise fail("400", f"interval {interval} is invalid")
        start, end = self.int_param(params, "start_time"), self.int_param(params, "end_time")
        limit = max(1, min(self.int_param(params, "limit", LIMIT_MAX), LIMIT_MAX))
        return INTERVAL_HOURS[interval], start, end, limit

    def liquidation_venues(self, params: Mapping[str, str]) -> frozenset:
        names = [n.strip() for n in params.get("exchange_list", "").split(",") if n.strip()]
        if not names:
            raise fail("400", "exchange_list is required")
        unknown = [n for n in names if n not in EXCHANGES]
        if unknown:
            raise fail("400", f"exchange {unknown[0]} is not supported")
        return frozenset(EXCHANGES[n] for n in names)

    @staticmethod
    def _ohlc(values: np.ndarray, starts: np.ndarray, width: int, last: int) -> tuple[np.ndarray, ...]:
        """OHLC of ``values`` over ``starts[i] .. starts[i] + width - 1`` (capped at index ``last``)."""
        idx = np.minimum(starts[:, None] + np.arange(width)[None, :], last)
        v = values[idx]
        return v[:, 0], v.max(axis=1), v.min(axis=1), v[:, -1]

    # -- open interest -----------------------------------------------------------------------------------
    @cached_property
    def _oi_btc(self) -> np.ndarray:
        """All-exchange OI (BTC) at hour boundaries k = 0..N (boundary k ends hour k-1)."""
        h = self.world.hourly
        total = h["oi_btc"].to_numpy(float) + self.world.outside_oi_btc() + h["cme_oi_btc"].to_numpy(float)
        return np.concatenate([[total[0]], total])

    @cached_property
    def _oi_usd(self) -> np.ndarray:
        close = self.world.hourly["close"].to_numpy(float)
        return self._oi_btc * np.concatenate([[close[0]], close])

    def oi_history(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        unit = params.get("unit", "usd") or "usd"
        if unit not in ("usd", "coin"):
            raise fail("400", f"unit {unit} is invalid")
        starts, step = self.bars(params, now_ms)
        values = self._oi_usd if unit == "usd" else self._oi_btc
        last = min(max((now_ms - START_MS) // HOUR_MS, 0), N_HOURS)  # the last hour boundary reached
        o, hi, lo, c = self._ohlc(values, starts, step + 1, last)
        decimals = 2 if unit == "usd" else 4
        return envelope([{"time": int(START_MS + s * HOUR_MS), "open": str(round(float(a), decimals)),
                          "high": str(round(float(b), decimals)), "low": str(round(float(d), decimals)),
                          "close": str(round(float(e), decimals))}
                         for s, a, b, d, e in zip(starts, o, hi, lo, c)])

    # -- OI-weighted funding -----------------------------------------------------------------------------
    @cached_property
    def funding_pct(self) -> np.ndarray:
        """Per hour: the OI-weighted funding of all venues with funding, percent per 8 h."""
        h = self.world.hourly
        oi = h["oi_btc"].to_numpy(float)
        rates = {
            "binance": clamped_rate(h["funding_8h_binance"].to_numpy(float), binance_lens.INTEREST_8H,
                                binance_lens.CLAMP, binance_lens.CAP),
            "okx": clamped_rate(h["funding_8h_okx"].to_numpy(float), okx_lens.INTEREST_8H, okx_lens.CLAMP, okx_lens.CAP),
            "bybit": clamped_rate(h["funding_8h_bybit"].to_numpy(float), bybit_lens.INTEREST_8H, bybit_lens.CLAMP,
                              bybit_lens.CAP),
            "deribit": h["funding_8h_deribit"].to_numpy(float),
            "dydx": h["funding_8h_dydx"].to_numpy(float),
        }
        weighted = sum(rates[v] * h[f"share_{v}"].to_numpy(float) * oi for v in VENUES)
        other = self.world.outside_oi_btc()  # Hyperliquid included, on the market premium
        weighted = weighted + clamped_rate(h["funding_8h"].to_numpy(float), 0.0001, 0.0005, 0.00375) * other
        return 100 * weighted / (oi + other)

    def funding_history(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        starts, step = self.bars(params, now_ms)
        current = min(max((now_ms - START_MS) // HOUR_MS, 0), N_HOURS - 1)  # the hour in progress
        o, hi, lo, c = self._ohlc(self.funding_pct, starts, step, current)
        return envelope([{"time": int(START_MS + s * HOUR_MS), "open": pct_text(a), "high": pct_text(b),
                          "low": pct_text(d), "close": pct_text(e)} for s, a, b, d, e in zip(starts, o, hi, lo, c)])

    # -- liquidations ------------------------------------------------------------------------------------
    def outage(self, ms) -> np.ndarray:
        """Whether CoinGlass's history misses the UTC day of each instant (deterministic, ~0.5 % of days)."""
        day = np.asarray(ms, dtype=np.int64) // DAY_MS
        return hash_unit(day, self.world.seed, SALT_OUTAGE) >= 1 - 2 * OUTAGE_RATE

    def collection(self, ms, side: str) -> np.ndarray:
        """CoinGlass's collected share of a UTC day's liquidations (0 on outage days)."""
        day = np.asarray(ms, dtype=np.int64) // DAY_MS
        factor = COLLECTION_BASE + COLLECTION_SPREAD * hash_unit(day, self.world.seed,
                                                                  SALT_LONG if side == "long" else SALT_SHORT)
        return np.where(self.outage(ms), 0.0, factor)

    def collected(self, venues: frozenset) -> tuple[np.ndarray, np.ndarray]:
        """Per side: (hourly USD as finally collected, its cumulative sum at hour boundaries)."""
        cached = self._liquidation_cache.get(venues)
        if cached is None:
            h = self.world.hourly
            hours = START_MS + np.arange(N_HOURS, dtype=np.int64) * HOUR_MS
            cached = tuple(
                (usd, np.concatenate([[0.0], np.cumsum(usd)]))
                for side in ("long", "short")
                for usd in [sum(h[f"liq_{side}_usd_{v}"].to_numpy(float) for v in sorted(venues))
                            * self.collection(hours, side)])
            self._liquidation_cache[venues] = cached
        return cached

    def liquidation_history(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        venues = self.liquidation_venues(params)
        starts, step = self.bars(params, now_ms, missing=self.outage)
        edges = START_MS + np.arange(N_HOURS + 1, dtype=np.int64) * HOUR_MS
        bar_start = START_MS + starts * HOUR_MS
        bar_end = np.minimum(bar_start + step * HOUR_MS, now_ms)
        # the revision: hours ending within REVISION_HOURS of now are only partly collected yet
        first = max((now_ms - START_MS) // HOUR_MS - REVISION_HOURS, 0)
        recent = np.arange(first, min((now_ms - START_MS) // HOUR_MS + 1, N_HOURS))
        t = START_MS + recent * HOUR_MS
        elapsed = np.clip((now_ms - t) / HOUR_MS, 0.0, 1.0)
        age = np.clip((now_ms - t - HOUR_MS) / (REVISION_HOURS * HOUR_MS), 0.0, None)
        served = np.where(age < 1, REVISION_FRESH + (REVISION_OLD - REVISION_FRESH) * age, 1.0)
        out = []
        for hourly, cumulative in self.collected(venues):
            total = np.interp(bar_end, edges, cumulative) - cumulative[starts]
            shortfall = np.concatenate([[0.0], np.cumsum(hourly[recent] * elapsed * (1 - served))])
            lo = np.searchsorted(t, bar_start)
            hi = np.searchsorted(t, bar_start + step * HOUR_MS)
            out.append(np.maximum(total - (shortfall[hi] - shortfall[lo]), 0.0))
        return envelope([{"time": int(s), "aggregated_long_liquidation_usd": round(float(a), 5),
                          "aggregated_short_liquidation_usd": round(float(b), 5)}
                         for s, a, b in zip(bar_start, *out)])

    # -- heatmap -----------------------------------------------------------------------------------------
    @cached_property
    def _other_ratio(self) -> np.ndarray:
        h = self.world.hourly
        return self.world.outside_oi_btc() / h["oi_btc"].to_numpy(float)

    def crypto_oi_usd(self, ms: np.ndarray) -> np.ndarray:
        """Perp OI of all crypto venues (the five and the others; not CME) in USD at instants."""
        hour = np.clip((ms - START_MS) // HOUR_MS, 0, N_HOURS - 1)
        return self.world.oi_at(ms) * (1 + self._other_ratio[hour]) * self.world.price_at(ms)

    def heatmap(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        self.symbol(params)
        span_name = params.get("range")
        if not span_name:
            raise fail("400", "range is required")
        if span_name not in HEATMAP_RANGES:
            raise fail("400", f"range {span_name} is invalid")
        span, step = HEATMAP_RANGES[span_name]
        end = min(now_ms, START_MS + N_HOURS * HOUR_MS - 1)
        t = np.arange(max((end - span) // step * step + step, START_MS), end + 1, step, dtype=np.int64)
        if not len(t):
            raise fail("500", "no data")
        points = np.minimum(t[:, None] + (np.arange(SAMPLES) * step // (SAMPLES - 1))[None, :], end)
        price = self.world.price_at(points)
        o, c, hi, lo = price[:, 0], price[:, -1], price.max(axis=1), price.min(axis=1)
        hour = np.clip((t - START_MS) // HOUR_MS, 0, N_HOURS - 1)
        hours_in = (points[:, -1] - t) / HOUR_MS  # the candle's elapsed length, in hours
        volume = self.world.hourly["spot_volume_btc"].to_numpy(float)[hour] * c * DERIVATIVES_TO_SPOT * hours_in
        opened = np.maximum(self.crypto_oi_usd(points[:, -1]) - self.crypto_oi_usd(t), 0) + TURNOVER_SHARE * volume
        amount = (opened / 2)[:, None] * TIER_WEIGHTS[None, :]
        long_at = c[:, None] * (1 - 1 / LEVERAGE + MAINTENANCE)[None, :]
        short_at = c[:, None] * (1 + 1 / LEVERAGE - MAINTENANCE)[None, :]
        later_low = np.concatenate([np.minimum.accumulate(lo[::-1])[::-1][1:], [np.inf]])
        later_high = np.concatenate([np.maximum.accumulate(hi[::-1])[::-1][1:], [-np.inf]])
        long_alive = long_at < later_low[:, None]
        short_alive = short_at > later_high[:, None]
        last = float(c[-1])
        grid = round(last * GRID_STEP, 2)
        y0 = round(last * (1 - HALF_SPAN), 2)
        levels = int(round(2 * HALF_SPAN / GRID_STEP)) + 1
        x = np.broadcast_to(np.arange(len(t))[:, None], long_at.shape)
        cells, weights = [], []
        for at, alive in ((long_at, long_alive), (short_at, short_alive)):
            y = np.rint((at - y0) / grid).astype(np.int64)
            keep = alive & (y >= 0) & (y < levels) & (amount > 0)
            cells.append(x[keep] * levels + y[keep])
            weights.append(amount[keep])
        v = np.bincount(np.concatenate(cells), weights=np.concatenate(weights), minlength=len(t) * levels)
        nz = np.flatnonzero(v > 0.005)
        data = {
            "y_axis": [round(y0 + grid * i, 2) for i in range(levels)],
            "liquidation_leverage_data": [[int(k // levels), int(k % levels), round(float(v[k]), 2)] for k in nz],
            "price_candlesticks": [[int(ts // 1000), f"{a:.1f}", f"{b:.1f}", f"{d:.1f}", f"{e:.1f}", f"{vol:.4f}"]
                                   for ts, a, b, d, e, vol in zip(t, o, hi, lo, c, volume)],
            "update_time": int(now_ms),
        }
        return envelope(data)


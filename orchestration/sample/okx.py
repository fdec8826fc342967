"""OKX as seen in the sample world: funding-rate history and rubik OI/volume statistics, newest first, in
the ``{"code", "msg", "data"}`` envelope with OKX's error codes and history limits, so the connector's
backwards paging and parsing run unchanged offline.

Numbers come from the world: the rate settled at T (00/08/16 UTC) is the clamp formula (interest 0.01 %,
clamp 0.05 %) on ``funding_8h_okx`` averaged over the 8 hours before T; OI in USD is ``venue_oi_btc_at('okx',
ts) * price_at(ts)`` at the bucket start; volume is OKX's share of the world's turnover, counted up to now.
Lens assumptions ([unverified] on the real API): buckets are UTC-aligned, the bucket in progress is served,
one rubik answer holds at most ``STAT_MAX_ROWS`` rows (the newest ones up to ``end``).
"""
from __future__ import annotations

from functools import cached_property
from typing import Mapping

import numpy as np

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.lens import DAY_MS, Lens, LensError, clamped_rate, json_response
from orchestration.sample.world import HOUR_MS, N_HOURS, START_MS, SampleWorld, hash_unit

HOST = "www.okx.com"
INST_ID = "BTC-USDT-SWAP"
CCY = "BTC"
FUNDING_MS = 8 * HOUR_MS
FUNDING_HISTORY_MS = 92 * DAY_MS
INTEREST_8H, CLAMP, CAP = 0.0001, 0.0005, 0.00375
LIMIT_DEFAULT, LIMIT_MAX = 100, 400
STAT_PERIODS = {"5m": (300_000, 2 * DAY_MS), "1H": (HOUR_MS, 30 * DAY_MS), "1D": (DAY_MS, 180 * DAY_MS)}
STAT_MAX_ROWS = 500
END_MS = START_MS + N_HOURS * HOUR_MS


def envelope(data: list, code: str = "0", msg: str = "", status: int = 200) -> HttpResponse:
    return json_response({"code": code, "msg": msg, "data": data}, status)


def fail(code: str, msg: str, status: int = 400) -> LensError:
    return LensError(envelope([], code, msg, status))


def rate_text(x: float) -> str:
    """OKX-style rate: up to 10 decimals, trailing zeros dropped ("0.0001", "-0.0000123456")."""
    text = np.format_float_positional(round(float(x), 10), trim="-")
    return "0" if text in ("-0", "") else text


class OkxLens(Lens):
    hosts = (HOST,)

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.route(HOST, r"/api/v5/public/funding-rate-history", self.funding_rate_history)
        self.route(HOST, r"/api/v5/rubik/stat/contracts/open-interest-volume", self.open_interest_volume)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return envelope([], "404", "Not Found", 404)  # [unverified] body of OKX's 404

    def bad_integer(self, name: str) -> HttpResponse:
        return envelope([], "51000", f"Parameter {name} error", 400)

    # -- funding --------------------------------------------------------------------------------
    @cached_property
    def funding_events(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every settlement of the world, ascending: (fundingTime ms, fundingRate, realizedRate)."""
        premium = self.world.hourly["funding_8h_okx"].to_numpy(float)
        csum = np.concatenate([[0.0], np.cumsum(premium)])
        k = np.arange(8, N_HOURS + 1, 8)
        mean = (csum[k] - csum[k - 8]) / 8
        rate = clamped_rate(mean, INTEREST_8H, CLAMP, CAP)
        rate = np.round(rate, 10)
        # realized: what was actually settled, a hair off the published rate
        realized = np.round(rate + 2e-7 * hash_unit(k, self.world.seed, 30), 10)
        return START_MS + k * HOUR_MS, rate, realized

    def funding_rate_history(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        inst = params.get("instId")
        if not inst:
            raise fail("50014", "Parameter instId can not be empty")
        if inst != INST_ID:
            raise fail("51001", "Instrument ID does not exist", 200)
        after, before = self.int_param(params, "after"), self.int_param(params, "before")
        limit = max(1, min(self.int_param(params, "limit", LIMIT_DEFAULT), LIMIT_MAX))
        times, rate, realized = self.funding_events
        lo = int(np.searchsorted(times, max(now_ms - FUNDING_HISTORY_MS, before + 1 if before is not None else 0)))
        hi = int(np.searchsorted(times, min(now_ms + 1, after if after is not None else now_ms + 1)))
        if hi <= lo:
            return envelope([])
        # only ``before``: the records just newer than it; otherwise the newest before ``after``/now
        forward = after is None and before is not None
        picked = range(lo, min(hi, lo + limit)) if forward else range(max(lo, hi - limit), hi)
        data = [{"instType": "SWAP", "instId": INST_ID, "fundingRate": rate_text(rate[i]),
                 "realizedRate": rate_text(realized[i]), "fundingTime": str(int(times[i])),
                 "method": "current_period", "formulaType": "noRate"} for i in reversed(picked)]
        return envelope(data)

    # -- open interest and volume -----------------------------------------------------------------
    @cached_property
    def _turnover(self) -> np.ndarray:
        """Cumulative OKX derivatives volume (USD) at hour boundaries: its OI share of ~12x Binance spot."""
        h = self.world.hourly
        usd = h["spot_volume_btc"].to_numpy(float) * h["close"].to_numpy(float) * 12 * h["share_okx"].to_numpy(float)
        return np.concatenate([[0.0], np.cumsum(usd)])

    def _volume(self, start_ms: np.ndarray, end_ms: np.ndarray) -> np.ndarray:
        edges = START_MS + np.arange(N_HOURS + 1, dtype=np.int64) * HOUR_MS
        return np.interp(end_ms, edges, self._turnover) - np.interp(start_ms, edges, self._turnover)

    def open_interest_volume(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        ccy = params.get("ccy")
        if not ccy:
            raise fail("50014", "Parameter ccy can not be empty")
        if ccy != CCY:
            raise fail("51000", "Parameter ccy error")
        period = params.get("period", "5m")
        if period not in STAT_PERIODS:
            raise fail("51000", "Parameter period error")
        step, history = STAT_PERIODS[period]
        begin, end = self.int_param(params, "begin"), self.int_param(params, "end")
        first = max(-(-(now_ms - history) // step) * step, START_MS)
        last = min(now_ms, END_MS - 1) // step * step  # the bucket in progress is served
        if begin is not None:
            first = max(first, -(-begin // step) * step)
        if end is not None:
            last = min(last, end // step * step)
        if last < first:
            return envelope([])
        ts = np.arange(max(first, last - (STAT_MAX_ROWS - 1) * step), last + 1, step, dtype=np.int64)[::-1]
        oi = self.world.venue_oi_btc_at("okx", ts) * self.world.price_at(ts)
        volume = self._volume(ts, np.minimum(ts + step, now_ms))
        return envelope([[str(int(t)), f"{o:.1f}", f"{v:.1f}"] for t, o, v in zip(ts, oi, volume)])

"""dYdX v4's indexer as seen in the sample world: historical funding and candles, newest first, at most
100 rows a call, string numbers, ISO times and ``{"errors": [{"msg": ...}]}`` errors, so backwards paging
and parsing run unchanged offline. Nothing exists before ``DYDX_LAUNCH``.

Numbers come from the world: the funding effective at T is the hour ending at T, ``rate = funding_8h_dydx /
8``; a candle's ``startingOpenInterest`` is ``venue_oi_btc_at('dydx', startedAt)``. Only hour-multiple
resolutions (1HOUR, 4HOURS, 1DAY) are served: the world is hourly (lens limit).
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import cached_property
from typing import Mapping

import numpy as np

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.lens import Lens, LensError, json_response
from orchestration.sample.world import DYDX_LAUNCH, HOUR_MS, N_HOURS, START_MS, SampleWorld

TICKER = "BTC-USD"
LIMIT_MAX = 100
LAUNCH_MS = int(datetime(DYDX_LAUNCH.year, DYDX_LAUNCH.month, DYDX_LAUNCH.day, tzinfo=timezone.utc).timestamp()) * 1000
LAUNCH_HEIGHT = 1_000_000  # block height at launch (made up); blocks every ~1.1 s
RESOLUTION_HOURS = {"1HOUR": 1, "4HOURS": 4, "1DAY": 24}
ALL_RESOLUTIONS = ("1MIN", "5MINS", "15MINS", "30MINS", "1HOUR", "4HOURS", "1DAY")
END_MS = START_MS + N_HOURS * HOUR_MS


def errors(status: int, msg: str, param: str | None = None, value: str | None = None) -> HttpResponse:
    item = {"msg": msg} if param is None else {"type": "field", "value": value, "msg": msg, "path": param,
                                                "location": "query"}
    return json_response({"errors": [item]}, status)


def iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def num(x: float, places: int) -> str:
    """dYdX-style decimal string: fixed places, trailing zeros dropped."""
    text = f"{x:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


class DydxLens(Lens):
    hosts = ("indexer.dydx.trade",)

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.route("indexer.dydx.trade", r"/v4/historicalFunding/(?P<ticker>[^/]+)", self.historical_funding)
        self.route("indexer.dydx.trade", r"/v4/candles/perpetualMarkets/(?P<ticker>[^/]+)", self.candles)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return errors(404, f"Cannot GET {request.path}")

    def bad_integer(self, name: str) -> HttpResponse:
        return errors(400, f"{name} must be a valid integer", name)

    # -- parameters -----------------------------------------------------------------------------------------
    def ticker(self, match) -> str:
        if match["ticker"] != TICKER:
            raise LensError(errors(404, f"{match['ticker']} not found in markets of type PERPETUAL"))
        return TICKER

    def limit(self, params: Mapping[str, str]) -> int:
        value = self.int_param(params, "limit", LIMIT_MAX)
        if not 1 <= value <= LIMIT_MAX:
            raise LensError(errors(400, f"limit must be a positive integer that is not greater than max: {LIMIT_MAX}",
                                   "limit", params.get("limit")))
        return value

    def iso_param(self, params: Mapping[str, str], name: str) -> int | None:
        raw = params.get(name)
        if raw in (None, ""):
            return None
        try:
            moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
        except ValueError:
            raise LensError(errors(400, f"{name} must be a valid ISO 8601 string", name, raw)) from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        return int(round(moment.timestamp() * 1000))

    # -- funding --------------------------------------------------------------------------------------------
    @cached_property
    def rates(self) -> np.ndarray:
        """Hourly rate per hour of the world (the funding effective at the hour's end)."""
        return self.world.hourly["funding_8h_dydx"].to_numpy(float) / 8

    def historical_funding(self, params: Mapping[str, str], now_ms: int, match) -> HttpResponse:
        ticker = self.ticker(match)
        limit = self.limit(params)
        top = self.iso_param(params, "effectiveBeforeOrAt")
        top = min(now_ms, END_MS) if top is None else min(top, now_ms, END_MS)
        first = LAUNCH_MS + HOUR_MS  # the first funding after launch covers launch's first hour
        last = top // HOUR_MS * HOUR_MS
        stamps = np.arange(last, max(first, last - (limit - 1) * HOUR_MS) - 1, -HOUR_MS, dtype=np.int64)
        hours = (stamps - START_MS) // HOUR_MS - 1
        prices = self.world.price_at(stamps)
        rows = [{"ticker": ticker, "rate": num(self.rates[h], 12), "price": num(p, 6), "effectiveAt": iso(int(t)),
                 "effectiveAtHeight": str(LAUNCH_HEIGHT + (int(t) - LAUNCH_MS) // 1100)}
                for t, h, p in zip(stamps, hours, prices)]
        return json_response({"historicalFunding": rows})

    # -- candles --------------------------------------------------------------------------------------------
    @cached_property
    def columns(self) -> dict[str, np.ndarray]:
        h = self.world.hourly
        base = h["spot_volume_btc"].to_numpy(float) * h["share_dydx"].to_numpy(float) * 3
        return {c: h[c].to_numpy(float) for c in ("open", "high", "low", "close")} | {"base": base}

    def candles(self, params: Mapping[str, str], now_ms: int, match) -> HttpResponse:
        ticker = self.ticker(match)
        resolution = params.get("resolution")
        if resolution not in ALL_RESOLUTIONS:
            raise LensError(errors(400, f"resolution must be a valid Candle Resolution, one of {list(ALL_RESOLUTIONS)}",
                                   "resolution", resolution))
        if resolution not in RESOLUTION_HOURS:
            return json_response({"candles": []})  # sub-hour candles: not in an hourly world
        step = RESOLUTION_HOURS[resolution] * HOUR_MS
        limit = self.limit(params)
        lo, hi = self.iso_param(params, "fromISO"), self.iso_param(params, "toISO")
        hi = min(now_ms, END_MS - 1) if hi is None else min(hi, now_ms, END_MS - 1)
        lo = LAUNCH_MS if lo is None else max(lo, LAUNCH_MS)
        last = hi // step * step
        first = max(-(-lo // step) * step, last - (limit - 1) * step)
        starts = np.arange(last, first - 1, -step, dtype=np.int64)
        return json_response({"candles": [self._candle(int(t), step, now_ms, ticker, resolution) for t in starts]})

    def _candle(self, start: int, step: int, now_ms: int, ticker: str, resolution: str) -> dict:
        a = (start - START_MS) // HOUR_MS
        b = min(a + step // HOUR_MS, -(-(now_ms - START_MS) // HOUR_MS), N_HOURS)
        c = {k: v[a:b].copy() for k, v in self.columns.items()}
        if now_ms < START_MS + b * HOUR_MS:  # the hour still open: up to now only
            elapsed = (now_ms - START_MS) / HOUR_MS - (b - 1)
            c["close"][-1] = float(self.world.price_at(now_ms))
            c["high"][-1], c["low"][-1] = max(c["open"][-1], c["close"][-1]), min(c["open"][-1], c["close"][-1])
            c["base"][-1] *= elapsed
        base = float(np.round(c["base"].sum(), 4))
        mid = (c["open"] + c["close"]) / 2
        return {"startedAt": iso(start), "ticker": ticker, "resolution": resolution,
                "low": num(c["low"].min(), 0), "high": num(c["high"].max(), 0), "open": num(c["open"][0], 0),
                "close": num(c["close"][-1], 0), "baseTokenVolume": num(base, 4),
                "usdVolume": num(float((c["base"] * mid).sum()), 4), "trades": int(base / 0.05),
                "startingOpenInterest": num(float(self.world.venue_oi_btc_at("dydx", start)), 4)}

"""Bybit v5 as seen in the sample world: linear BTCUSDT funding history and open interest, newest first, in
the ``{"retCode", "retMsg", "result"}`` envelope with Bybit's limits and error forms, so the connector's
backwards paging, cursor paging and parsing run unchanged offline.

Numbers come from the world: the rate settled at T (00/08/16 UTC) is the clamp formula (interest 0.01 %,
clamp 0.05 %, cap 0.375 %) on ``funding_8h_bybit`` averaged over the 8 hours before T; OI (BTC) at ``ts`` is
``venue_oi_btc_at('bybit', ts)``. Lens assumptions ([unverified] on the real API): errors come with HTTP 200,
the cursor is an opaque base64 offset, unknown paths get a bare 404, OI is served back to the launch.
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime
from functools import cached_property
from typing import Mapping

import numpy as np

from orchestration.feeds.base import to_ms
from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.lens import DAY_MS, Lens, LensError, clamped_rate, json_response
from orchestration.sample.world import HOUR_MS, N_HOURS, START_MS, SampleWorld

HOST = "api.bybit.com"
CATEGORY, SYMBOL = "linear", "BTCUSDT"
LAUNCH_MS = to_ms(datetime(2020, 3, 25))
INTEREST_8H, CLAMP, CAP = 0.0001, 0.0005, 0.00375
FUNDING_LIMIT = (200, 200)  # (default, max)
OI_LIMIT = (50, 200)
INTERVALS = {"5min": 300_000, "15min": 900_000, "30min": 1_800_000, "1h": HOUR_MS, "4h": 4 * HOUR_MS,
             "1d": DAY_MS}
END_MS = START_MS + N_HOURS * HOUR_MS


def envelope(result: dict, now_ms: int, code: int = 0, msg: str = "OK") -> HttpResponse:
    return json_response({"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {}, "time": now_ms})


def params_error(what: str) -> LensError:
    return LensError(json_response({"retCode": 10001, "retMsg": f"params error: {what}", "result": {},
                                    "retExtInfo": {}, "time": 0}))


def number(x: float, decimals: int) -> str:
    """Bybit-style number text: rounded, trailing zeros dropped ("0.0001", "-0.00005484")."""
    text = np.format_float_positional(round(float(x), decimals), trim="-")
    return "0" if text in ("-0", "") else text


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset={offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith("offset="):
            raise ValueError(text)
        return int(text[7:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise params_error("cursor invalid") from None


class BybitLens(Lens):
    hosts = (HOST,)

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.route(HOST, r"/v5/market/funding/history", self.funding_history)
        self.route(HOST, r"/v5/market/open-interest", self.open_interest)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(404, b"404 page not found", {"Content-Type": "text/plain"})

    def bad_integer(self, name: str) -> HttpResponse:
        return params_error(f"{name} invalid").response

    def _common(self, params: Mapping[str, str], limits: tuple[int, int]) -> tuple[int | None, int | None, int]:
        if params.get("category") != CATEGORY:
            raise params_error("category invalid")
        if params.get("symbol") != SYMBOL:
            raise params_error("symbol invalid")
        start, end = self.int_param(params, "startTime"), self.int_param(params, "endTime")
        limit = self.int_param(params, "limit", limits[0])
        if not 1 <= limit <= limits[1]:
            raise params_error("limit invalid")
        if start is not None and end is not None and start > end:
            raise params_error("startTime must be earlier than endTime")
        return start, end, limit

    # -- funding ----------------------------------------------------------------------------------
    @cached_property
    def funding_events(self) -> tuple[np.ndarray, np.ndarray]:
        """Every settlement of the world from the launch, ascending: (fundingRateTimestamp ms, rate)."""
        premium = self.world.hourly["funding_8h_bybit"].to_numpy(float)
        csum = np.concatenate([[0.0], np.cumsum(premium)])
        k = np.arange(8, N_HOURS + 1, 8)
        mean = (csum[k] - csum[k - 8]) / 8
        rate = np.round(clamped_rate(mean, INTEREST_8H, CLAMP, CAP), 8)
        times = START_MS + k * HOUR_MS
        keep = times >= LAUNCH_MS
        return times[keep], rate[keep]

    def funding_history(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        start, end, limit = self._common(params, FUNDING_LIMIT)
        if start is not None and end is None:
            raise params_error("endTime is required when startTime is given")  # Bybit's rule, wording ours
        times, rate = self.funding_events
        lo = 0 if start is None else int(np.searchsorted(times, start, side="left"))
        hi = int(np.searchsorted(times, now_ms if end is None else min(end, now_ms), side="right"))
        picked = range(hi - 1, max(lo, hi - limit) - 1, -1)  # the newest ``limit`` in range, newest first
        rows = [{"symbol": SYMBOL, "fundingRate": number(rate[i], 8), "fundingRateTimestamp": str(int(times[i]))}
                for i in picked]
        return envelope({"category": CATEGORY, "list": rows}, now_ms)

    # -- open interest ------------------------------------------------------------------------------
    def open_interest(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        start, end, limit = self._common(params, OI_LIMIT)
        interval = params.get("intervalTime")
        if interval not in INTERVALS:
            raise params_error("intervalTime invalid")
        step = INTERVALS[interval]
        first = -(-max(LAUNCH_MS, start if start is not None else LAUNCH_MS) // step) * step
        last = min(now_ms, END_MS, end if end is not None else now_ms) // step * step
        n = max(0, (last - first) // step + 1)  # stamps newest first: last, last - step, ...
        offset = decode_cursor(params["cursor"]) if params.get("cursor") else 0
        stamps = last - step * np.arange(offset, min(n, offset + limit), dtype=np.int64)
        oi = self.world.venue_oi_btc_at("bybit", stamps) if len(stamps) else np.array([])
        rows = [{"openInterest": f"{round(float(v), 3):.8f}", "timestamp": str(int(t))} for t, v in zip(stamps, oi)]
        following = offset + len(stamps)
        cursor = encode_cursor(following) if following < n and len(stamps) else ""
        return envelope({"symbol": SYMBOL, "category": CATEGORY, "list": rows, "nextPageCursor": cursor}, now_ms)

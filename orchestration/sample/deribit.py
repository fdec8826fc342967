"""Deribit as seen in the sample world: the two public JSON-RPC-over-GET methods the connector uses, in
Deribit's envelope and error dialect, so chunking and parsing run unchanged offline.

Numbers come from the world: each hourly row at boundary T carries the hour ending at T (lens choice; the
real semantics are unconfirmed), ``interest_1h = funding_8h_deribit / 8`` of that hour and ``interest_8h`` the
rolling sum of the last 8 ``interest_1h`` (a quote, never to be summed again). The book summary's USD open
interest is ``venue_oi_btc_at('deribit', now) * price(now)``, in whole 10 USD contracts.
"""
from __future__ import annotations

from functools import cached_property
from typing import Mapping

import numpy as np

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.lens import Lens, LensError, json_response
from orchestration.sample.world import HOUR_MS, N_HOURS, START_MS, SampleWorld

INSTRUMENT = "BTC-PERPETUAL"
MAX_ROWS = 744
SERVER_US = 150  # usDiff: how long the fake matching engine "took"


def envelope(now_ms: int, **body) -> dict:
    return {"jsonrpc": "2.0", **body, "usIn": now_ms * 1000, "usOut": now_ms * 1000 + SERVER_US,
            "usDiff": SERVER_US, "testnet": False}


def rpc_error(now_ms: int, code: int, message: str, status: int = 400, data: dict | None = None) -> HttpResponse:
    error = {"message": message, "code": code, **({"data": data} if data else {})}
    return json_response(envelope(now_ms, error=error), status)


def invalid(param: str, reason: str, now_ms: int = 0) -> LensError:
    return LensError(rpc_error(now_ms, -32602, "Invalid params", data={"reason": reason, "param": param}))


class DeribitLens(Lens):
    hosts = ("www.deribit.com",)

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.route("www.deribit.com", r"/api/v2/public/get_funding_rate_history", self.funding_history)
        self.route("www.deribit.com", r"/api/v2/public/get_book_summary_by_instrument", self.book_summary)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return rpc_error(0, -32601, "Method not found", 404)

    def bad_integer(self, name: str) -> HttpResponse:
        return invalid(name, "wrong format").response

    def instrument(self, params: Mapping[str, str], now_ms: int) -> str:
        name = params.get("instrument_name")
        if not name:
            raise invalid("instrument_name", "must be present", now_ms)
        if name != INSTRUMENT:
            raise invalid("instrument_name", "wrong format", now_ms)
        return name

    # -- funding ------------------------------------------------------------------------------------------
    @cached_property
    def hourly(self) -> tuple[np.ndarray, np.ndarray]:
        """(interest_1h, interest_8h) per hour boundary k = 1..N (boundary k ends hour k-1); index 0 unused."""
        i1 = np.round(self.world.hourly["funding_8h_deribit"].to_numpy(float) / 8, 10)
        csum = np.concatenate([[0.0], np.cumsum(i1)])
        k = np.arange(N_HOURS + 1)
        i8 = np.round(csum[k] - csum[np.maximum(k - 8, 0)], 10)
        return np.concatenate([[0.0], i1]), i8

    def funding_history(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        self.instrument(params, now_ms)
        start, end = self.int_param(params, "start_timestamp"), self.int_param(params, "end_timestamp")
        for name, value in (("start_timestamp", start), ("end_timestamp", end)):
            if value is None:
                raise invalid(name, "must be present", now_ms)
        end = min(end, now_ms, START_MS + N_HOURS * HOUR_MS)
        first = max(-(-(start - START_MS) // HOUR_MS), 1)  # the first boundary is the end of the world's first hour
        last = (end - START_MS) // HOUR_MS
        k = np.arange(max(first, last - MAX_ROWS + 1), last + 1)  # at most 744 rows: the latest of the range
        i1, i8 = self.hourly
        stamps = START_MS + k * HOUR_MS
        index = np.round(self.world.price_at(stamps), 2)
        prev = np.round(self.world.price_at(stamps - HOUR_MS), 2)
        rows = [{"timestamp": int(t), "index_price": float(p), "prev_index_price": float(q),
                 "interest_8h": float(i8[j]), "interest_1h": float(i1[j])}
                for t, p, q, j in zip(stamps, index, prev, k)]
        return json_response(envelope(now_ms, result=rows))

    # -- open interest "now" ------------------------------------------------------------------------------
    def book_summary(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        name = self.instrument(params, now_ms)
        price = float(self.world.price_at(now_ms))
        oi_usd = float(np.round(self.world.venue_oi_btc_at("deribit", now_ms) * price / 10) * 10)
        hour = min(max((now_ms - START_MS) // HOUR_MS, 0), N_HOURS - 1)
        funding_8h = float(self.world.hourly["funding_8h_deribit"].iat[hour])
        summary = {"volume_usd": None, "quote_currency": "USD", "price_change": None,
                   "open_interest": oi_usd, "mid_price": round(price, 1), "mark_price": round(price, 2),
                   "last": round(price, 1), "interest_rate": 0.0, "instrument_name": name,
                   "funding_8h": round(funding_8h, 8), "current_funding": round(funding_8h / 8, 8),
                   "estimated_delivery_price": round(price, 2), "creation_timestamp": now_ms,
                   "base_currency": "BTC"}
        return json_response(envelope(now_ms, result=[{k: v for k, v in summary.items() if v is not None}]))

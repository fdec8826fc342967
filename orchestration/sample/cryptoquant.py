"""CryptoQuant as seen in the sample world: the exchange reserve, netflow and estimated leverage ratio for all
exchanges, daily, in CryptoQuant's ``{"status": {"code", "message"}, "result": {"window", "data"}}`` envelope.

Values come from ``orchestration.sample.onchain``: the all-exchange reserve (the widest wallet coverage of the
three on-chain providers), its day-over-day netflow and the world's perp OI over it. Rows are newest first,
``date`` "YYYY-MM-DD", the latest ``limit`` days of [from, to] that have ended (lens choices, [unverified] on the
real API: ``limit`` default 100, at most 100,000; ``from``/``to`` as YYYYMMDD; only ``exchange=all_exchange`` and
``window=day``; anything else answers 400 in the envelope; ``result.window`` spelled "DAY"). No token is checked
(sample mode has none).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Mapping

import numpy as np

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.lens import LensError, json_response
from orchestration.sample.onchain import DailyLens
from orchestration.sample.world import SampleWorld

HOST = "api.cryptoquant.com"
MAX_LIMIT = 100_000
#: path -> {payload key: (daily column, decimals)}
SERIES = {
    "exchange-flows/reserve": {"reserve": ("reserve_btc", 3), "reserve_usd": ("reserve_usd", 2)},
    "exchange-flows/netflow": {"netflow_total": ("reserve_netflow_btc", 8)},
    "market-data/estimated-leverage-ratio": {"estimated_leverage_ratio": ("estimated_leverage_ratio", 8)},
}


def status(code: int, message: str) -> HttpResponse:
    return json_response({"status": {"code": code, "message": message}}, code)


def bad(message: str) -> LensError:
    return LensError(status(400, message))


class CryptoquantLens(DailyLens):
    hosts = (HOST,)
    fields = SERIES  # path -> what its rows carry

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.daily = self.daily.assign(reserve_usd=self.daily["reserve_btc"] * self.daily["close_usd"])
        self.route(HOST, r"/v1/btc/(?P<path>[a-z-]+/[a-z-]+)", self.series)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return status(404, "Not Found")

    def bad_integer(self, name: str) -> HttpResponse:
        return status(400, f"'{name}' must be an integer")

    @staticmethod
    def _day(params: Mapping[str, str], name: str, default_ms: int) -> int:
        raw = params.get(name)
        if raw is None:
            return default_ms
        if not re.fullmatch(r"\d{8}", raw):
            raise bad(f"'{name}' must be YYYYMMDD, got {raw!r}")
        try:
            moment = datetime.strptime(raw, "%Y%m%d").replace(tzinfo=timezone.utc)
        except ValueError:
            raise bad(f"'{name}' is not a date: {raw!r}") from None
        return int(moment.timestamp()) * 1000

    def series(self, params: Mapping[str, str], now_ms: int, match) -> HttpResponse:
        fields = self.fields.get(match["path"])
        if fields is None:
            raise LensError(status(404, f"Not Found: {match['path']}"))
        if params.get("exchange") != "all_exchange":
            raise bad(f"exchange {params.get('exchange')!r} is not served in the sample world")
        if params.get("window", "day") != "day":
            raise bad(f"window {params.get('window')!r} is not served in the sample world")
        limit = self.int_param(params, "limit", 100)
        if not 1 <= limit <= MAX_LIMIT:
            raise bad(f"'limit' must be within 1..{MAX_LIMIT}")
        first, last = self._day(params, "from", 0), self._day(params, "to", now_ms)
        days = self.days(first, last, now_ms)[::-1][:limit]  # newest first, the latest `limit`
        stamps = [datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d") for ms in self.day_ms(days)]
        columns = {key: np.round(self.column(column)[days], decimals) for key, (column, decimals) in fields.items()}
        data = [{"date": stamp, **{key: float(values[i]) for key, values in columns.items()}}
                for i, stamp in enumerate(stamps)]
        return json_response({"status": {"code": 200, "message": "success"},
                              "result": {"window": "DAY", "data": data}})

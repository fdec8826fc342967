"""CoinMetrics' community API as seen in the sample world: ``timeseries/asset-metrics`` for BTC, daily, with
numbers as text and cursor paging, so the connector's paging and parsing run unchanged offline.

Values come from ``orchestration.sample.onchain``: the day's close (``PriceUSD``), MVRV, supply, CoinMetrics'
own exchange coverage (``SplyExNtv``, with its COVERAGE BREAKS: the level jumps on a break day while the flows
do not) and the gross flows into and out of the exchanges it covers. A day is served once it has ended.

Paging as the real API documents it: ``page_size`` (default 100, at most 10,000), ``paging_from`` ``start`` or
``end`` (the default here; [unverified] which one the real API defaults to, so the connector always says),
rows ascending within a page, and while more rows remain an opaque ``next_page_token`` with the matching
``next_page_url``. Errors are ``{"error": {"type", "message"}}``: 400 ``bad_parameter`` for an unknown asset,
metric, frequency, time or page size or a token that does not belong to the request.
"""
from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from typing import Mapping
from urllib.parse import urlencode

import numpy as np

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.lens import LensError, json_response
from orchestration.sample.onchain import DailyLens
from orchestration.sample.world import SampleWorld

HOST = "community-api.coinmetrics.io"
PATH = "/v4/timeseries/asset-metrics"
MAX_PAGE_SIZE = 10_000
#: metric -> (daily column, decimals of its text)
METRICS = {"PriceUSD": ("close_usd", 10), "CapMVRVCur": ("mvrv", 12), "SplyCur": ("supply_btc", 8),
           "SplyExNtv": ("coinmetrics_sply_ex_btc", 8), "FlowInExNtv": ("coinmetrics_flow_in_btc", 8),
           "FlowOutExNtv": ("coinmetrics_flow_out_btc", 8)}
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z?)?")


def error(status: int, kind: str, message: str) -> HttpResponse:
    return json_response({"error": {"type": kind, "message": message}}, status)


def bad(message: str) -> LensError:
    return LensError(error(400, "bad_parameter", message))


def text(value: float, decimals: int) -> str:
    """A number as CoinMetrics writes it: fixed-point text, trailing zeros dropped."""
    shown = f"{value:.{decimals}f}".rstrip("0")
    return shown + "0" if shown.endswith(".") else shown


class CoinmetricsLens(DailyLens):
    hosts = (HOST,)

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.route(HOST, PATH, self.asset_metrics)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return error(404, "not_found", f"Path {request.path!r} not found.")

    def bad_integer(self, name: str) -> HttpResponse:
        return error(400, "bad_parameter", f"Bad parameter '{name}'. Must be an integer.")

    @staticmethod
    def _time(params: Mapping[str, str], name: str, default_ms: int) -> int:
        raw = params.get(name)
        if raw is None:
            return default_ms
        match = _TIME.fullmatch(raw)
        if not match:
            raise bad(f"Bad parameter '{name}'. Incorrect time format '{raw}'.")
        moment = datetime.fromisoformat(match[1]).replace(tzinfo=timezone.utc)
        seconds = sum(int(match[i] or 0) * k for i, k in ((2, 3600), (3, 60), (4, 1)))
        return int(moment.timestamp() + seconds) * 1000

    def _metrics(self, params: Mapping[str, str]) -> list[str]:
        if params.get("assets", "").lower() != "btc":
            raise bad(f"Bad parameter 'assets'. Value '{params.get('assets')}' is not supported.")
        metrics = [m for m in params.get("metrics", "").split(",") if m]
        unknown = [m for m in metrics if m not in METRICS]
        if not metrics or unknown:
            raise bad(f"Bad parameter 'metrics'. Metric '{(unknown or [''])[0]}' is not supported.")
        if params.get("frequency", "1d") != "1d":
            raise bad(f"Bad parameter 'frequency'. Value '{params.get('frequency')}' is not supported.")
        return metrics

    def asset_metrics(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        metrics = self._metrics(params)
        page_size = self.int_param(params, "page_size", 100)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise bad(f"Bad parameter 'page_size'. Must be between 1 and {MAX_PAGE_SIZE}.")
        paging = params.get("paging_from", "end")
        if paging not in ("start", "end"):
            raise bad("Bad parameter 'paging_from'. Must be 'start' or 'end'.")
        days = self.days(self._time(params, "start_time", 0), self._time(params, "end_time", now_ms), now_ms)
        offset = self._offset(params.get("next_page_token"), paging, len(days))
        if paging == "start":
            page, rest = days[offset: offset + page_size], offset + page_size < len(days)
        else:  # from the end: the latest rows first, each page ascending
            stop = len(days) - offset
            page, rest = days[max(stop - page_size, 0): stop], stop > page_size
        body: dict = {"data": self._rows(page, metrics)}
        if rest:
            token = base64.urlsafe_b64encode(f"{paging}:{offset + page_size}".encode()).decode().rstrip("=")
            body["next_page_token"] = token
            body["next_page_url"] = f"https://{HOST}{PATH}?{urlencode({**params, 'next_page_token': token})}"
        return json_response(body)

    @staticmethod
    def _offset(token: str | None, paging: str, total: int) -> int:
        if not token:
            return 0
        try:
            kind, _, value = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().partition(":")
            offset = int(value)
        except ValueError:
            raise bad("Bad parameter 'next_page_token'. Invalid token.") from None
        if kind != paging or not 0 < offset < total:
            raise bad("Bad parameter 'next_page_token'. The token does not belong to this request.")
        return offset

    def _rows(self, page: np.ndarray, metrics: list[str]) -> list[dict]:
        stamps = [datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000000Z")
                  for ms in self.day_ms(page)]
        columns = {m: self.column(METRICS[m][0])[page] for m in metrics}
        return [{"asset": "btc", "time": stamp, **{m: text(float(columns[m][i]), METRICS[m][1]) for m in metrics}}
                for i, stamp in enumerate(stamps)]

"""Glassnode as seen in the sample world: the four daily BTC metrics the connector reads, ``[{"t", "v"}]``
answers with ``t`` the day's start in UNIX seconds and ``v`` a JSON number, so the connector runs unchanged.

Values come from ``orchestration.sample.onchain`` (Glassnode's own coverage of exchange wallets, its net
transfer volume, its MVRV and NUPL). A day is served once it has ended; days before the world's start are
absent. Lens choices ([unverified] on the real API): only ``a=BTC`` and ``i=24h`` (other assets or resolutions
answer 400 ``{"error": ...}``), ``s``/``u`` in seconds (a millisecond value answers 400), ``u`` inclusive, no
key checked (sample mode has none).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.lens import LensError, json_response
from orchestration.sample.onchain import DailyLens
from orchestration.sample.world import SampleWorld

HOST = "api.glassnode.com"
#: metric path -> (daily column, decimals)
METRICS = {
    "distribution/balance_exchanges": ("glassnode_balance_btc", 8),
    "transactions/transfers_volume_exchanges_net": ("glassnode_netflow_btc", 8),
    "market/mvrv": ("glassnode_mvrv", 12),
    "indicators/net_unrealized_profit_loss": ("glassnode_nupl", 12),
}
MS_THRESHOLD = 100_000_000_000  # an "s"/"u" this large is milliseconds


def error(status: int, message: str) -> HttpResponse:
    return json_response({"error": message}, status)


class GlassnodeLens(DailyLens):
    hosts = (HOST,)

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.route(HOST, r"/v1/metrics/(?P<path>[a-z_]+/[a-z_]+)", self.metric)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return error(404, "metric not found")

    def bad_integer(self, name: str) -> HttpResponse:
        return error(400, f"invalid '{name}': expected a UNIX timestamp in seconds")

    def metric(self, params: Mapping[str, str], now_ms: int, match) -> HttpResponse:
        if match["path"] not in METRICS:
            raise LensError(error(404, f"metric {match['path']!r} not found"))
        if params.get("a", "BTC").upper() != "BTC":
            raise LensError(error(400, f"asset {params.get('a')!r} is not supported for this metric"))
        if params.get("i", "24h") != "24h":
            raise LensError(error(400, f"interval {params.get('i')!r} is not available in the sample world"))
        if params.get("f", "json").lower() != "json":
            raise LensError(error(400, "only f=json is served"))
        bounds = []
        for name, default in (("s", 0), ("u", now_ms // 1000)):
            value = self.int_param(params, name, default)
            if abs(value) >= MS_THRESHOLD:
                raise LensError(error(400, f"'{name}' looks like milliseconds: UNIX seconds are expected"))
            bounds.append(value * 1000)
        column, decimals = METRICS[match["path"]]
        days = self.days(bounds[0], bounds[1], now_ms)
        values = np.round(self.column(column)[days], decimals)
        stamps = self.day_ms(days) // 1000
        return json_response([{"t": int(t), "v": float(v)} for t, v in zip(stamps, values)])

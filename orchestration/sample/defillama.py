"""DefiLlama's stablecoin chart as seen in the sample world: ``/stablecoincharts/all``, the whole history in one
list, ``date`` as UNIX seconds in TEXT, totals per peg (``peggedUSD`` and a small ``peggedEUR``), in USD and in
coin units, plus the extra fields the real chart carries (minted, bridged), so the connector runs unchanged.

Values come from ``orchestration.sample.onchain`` (stablecoin supply growing and contracting with the market).
Points run from the world's first day up to and including the day in progress (as the real chart shows today's
point); the EUR stablecoins are a steady ~0.15 % of the USD total. Other chains' charts answer 404.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.lens import json_response
from orchestration.sample.onchain import DailyLens
from orchestration.sample.world import SampleWorld

HOST = "stablecoins.llama.fi"
EUR_SHARE = 0.0015
EUR_USD = 1.08


class DefillamaLens(DailyLens):
    hosts = (HOST,)

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.route(HOST, r"/stablecoincharts/all", self.chart)

    def not_found(self, request: HttpRequest) -> HttpResponse:
        return json_response({"message": f"chart {request.path!r} not found"}, 404)

    def chart(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        days = self.days(0, now_ms, now_ms, in_progress=True)
        usd = np.round(self.column("stablecoin_supply_usd")[days], 2)
        units = np.round(self.column("stablecoin_circulating")[days], 2)
        eur = np.round(units * EUR_SHARE / EUR_USD, 2)
        stamps = self.day_ms(days) // 1000
        return json_response([
            {"date": str(int(t)),
             "totalCirculating": {"peggedUSD": float(u), "peggedEUR": float(e)},
             "totalUnreleased": {"peggedUSD": 0},
             "totalCirculatingUSD": {"peggedUSD": float(v), "peggedEUR": round(float(e) * EUR_USD, 2)},
             "totalMintedUSD": {"peggedUSD": round(float(v) * 1.004, 2)},
             "totalBridgedToUSD": {"peggedUSD": round(float(v) * 0.03, 2)}}
            for t, u, e, v in zip(stamps, units, eur, usd)])

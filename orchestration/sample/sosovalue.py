"""SoSoValue as seen in the sample world: ``POST /openapi/v2/etf/historicalInflowChart`` with
``{"type": "us-btc-spot"}``, answering ``{"code": 0, "msg": "success", "data": {"list": [...]}}``, newest day
first, in USD (not millions). No API key is needed (sample mode has none).

Figures come from ``orchestration.sample.etf``: ``totalNetInflow`` is the day's total over the issuers, in
exact dollars (cents), where Farside shows each ticker rounded to 0.1 US$m; ``totalValueTraded`` and
``totalNetAssets`` the world's; ``cumNetInflow`` the running sum of this provider's own daily figures.

Deliberate differences from Farside, so the cross-check downstream has something to find:

- revisions: on ~``REVISION_RATE`` of trading days (deterministic per day) SoSoValue carries a revised total
  that Farside did not take (a late-reporting issuer's figure), off by 15-45 M$ plus 20 % of the day's flow;
- a missed day: ~``MISSED_RATE`` of trading days (deterministic per day) are absent from the list.

A day appears from ``PUBLISHED_HOUR`` UTC on that day. A body that is not ``{"type": "us-btc-spot"}`` answers
``{"code": 40001, "msg": ...}`` with HTTP 200, a GET or another path HTTP 404 (lens choices: the real error
codes are [unverified]).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from functools import cached_property

import numpy as np
import pandas as pd

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.etf import etf_flows
from orchestration.sample.lens import Lens, json_response
from orchestration.sample.world import SampleWorld, hash_unit

HOST = "api.sosovalue.xyz"
PATH = "/openapi/v2/etf/historicalInflowChart"
ETF_TYPE = "us-btc-spot"
PUBLISHED_HOUR = 22
REVISION_RATE = 0.02
MISSED_RATE = 0.005
SALT_REVISION, SALT_MISSED, SALT_SIZE = 51, 52, 53


def _keys(days: pd.DatetimeIndex) -> np.ndarray:
    """Day numbers since 1970-01-01: the per-day keys of the deterministic choices."""
    return (days.as_unit("s").asi8 // 86_400).astype(np.int64)


def revised_days(days: pd.DatetimeIndex, seed: int) -> np.ndarray:
    """Which of ``days`` SoSoValue carries a revised total for."""
    return hash_unit(_keys(days), seed, SALT_REVISION) < -1 + 2 * REVISION_RATE


def missed_days(days: pd.DatetimeIndex, seed: int) -> np.ndarray:
    """Which of ``days`` SoSoValue leaves out (never a revised day)."""
    return (hash_unit(_keys(days), seed, SALT_MISSED) < -1 + 2 * MISSED_RATE) & ~revised_days(days, seed)


def error(code: int, msg: str) -> HttpResponse:
    return json_response({"code": code, "msg": msg, "data": None})


class SosovalueLens(Lens):
    hosts = (HOST,)

    def handle(self, request: HttpRequest, now_ms: int) -> HttpResponse:
        """The one endpoint is a POST (the shared router serves GETs only)."""
        if request.method.upper() != "POST" or request.path != PATH:
            return json_response({"code": 404, "msg": f"not found: {request.method} {request.path}"}, 404)
        try:
            body = json.loads(request.body or b"")
        except ValueError:
            return error(40000, "request body is not JSON")
        if not isinstance(body, dict) or body.get("type") != ETF_TYPE:
            return error(40001, f"unsupported type {body.get('type') if isinstance(body, dict) else body!r}")
        return self.history(now_ms)

    @cached_property
    def _daily(self) -> pd.DataFrame:
        """Per trading day: SoSoValue's net inflow (revised where it revises), value traded, net assets and
        cumulative net inflow, USD; missed days dropped."""
        etf = etf_flows(self.world)
        days, seed = etf.flows_usd.index, self.world.seed
        inflow = etf.total_usd.to_numpy(float)
        size = (30e6 + 15e6 * hash_unit(_keys(days), seed, SALT_SIZE)) + 0.2 * np.abs(inflow)
        sign = np.where(hash_unit(_keys(days), seed, SALT_SIZE + 1) < 0, -1.0, 1.0)
        inflow = np.where(revised_days(days, seed), inflow + sign * size, inflow)
        frame = pd.DataFrame({"totalNetInflow": inflow.round(2),
                              "totalValueTraded": etf.value_traded_usd.to_numpy(float).round(2),
                              "totalNetAssets": etf.net_assets_usd.to_numpy(float).round(2)}, index=days)
        frame = frame[~missed_days(days, seed)]
        frame["cumNetInflow"] = frame["totalNetInflow"].cumsum().round(2)
        return frame

    def history(self, now_ms: int) -> HttpResponse:
        now = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc).replace(tzinfo=None)
        daily = self._daily
        shown = daily[daily.index + pd.Timedelta(hours=PUBLISHED_HOUR) <= pd.Timestamp(now)]
        entries = [{"date": f"{day:%Y-%m-%d}", **{k: float(v) for k, v in row.items()}}
                   for day, row in zip(shown.index[::-1], shown.iloc[::-1].to_dict("records"))]
        return json_response({"code": 0, "msg": "success", "data": {"list": entries}})


def revision_and_missed_days(world: SampleWorld, first: date, last: date) -> tuple[list[date], list[date]]:
    """The days in [first, last] SoSoValue revises and misses (for tests and the closing note)."""
    days = etf_flows(world).flows_usd.index
    days = days[(days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last))]
    seed = world.seed
    return ([d.date() for d in days[revised_days(days, seed)]], [d.date() for d in days[missed_days(days, seed)]])

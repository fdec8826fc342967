"""Hyperliquid's info endpoint as seen in the sample world: ``POST https://api.hyperliquid.xyz/info`` with a JSON
body, for the two request types the connector uses, in Hyperliquid's shapes (decimal strings, millisecond times)
and error dialect, so its paging and parsing run unchanged offline. Every response carries an HTTP ``Date``
header from the transport's clock (the connector stamps a snapshot with it).

- ``{"type": "fundingHistory", "coin": "BTC", "startTime": ms, "endTime": ms}`` (``endTime`` optional: now):
  the settled hourly rates with ``startTime <= time <= endTime``, ascending, at most ``MAX_ROWS`` (500) from
  ``startTime`` (a caller pages on from its last ``time`` + 1). The row stamped at hour boundary T (plus a few ms,
  deterministic per hour) settles the hour ending at T: ``premium`` is that hour's ``funding_8h_hyperliquid``
  (Hyperliquid's premium, 8-hour units) and ``fundingRate = (premium + clamp(INTEREST_8H - premium, +-CLAMP)) / 8``
  capped at +-``CAP_1H`` per hour (Hyperliquid's documented formula: 0.01 % interest per 8 h, paid hourly at an
  eighth). Nothing before ``HYPERLIQUID_LAUNCH`` (the first row settles launch's first hour), nothing after now.
- ``{"type": "metaAndAssetCtxs"}``: ``[{"universe": [...]}, [ctx, ...]]``; BTC's ctx at now: ``openInterest``
  ``hyperliquid_oi_btc_at(now)`` (BTC, one side), ``funding`` the hour in progress's predicted rate from its
  premium, ``oraclePx`` the world's price, ``markPx`` the oracle moved by the premium, ``prevDayPx`` the price
  24 h before, volumes from the world's spot volume scaled by Hyperliquid's OI share. ETH and SOL carry fixed,
  plausible contexts (they are not in the world). Before launch the universe is empty.

Errors, as Hyperliquid's server (Rust, axum/serde) gives them: a body that is not JSON, lacks a required field,
has a field of the wrong type or an unknown ``type`` -> HTTP 422, plain text ``Failed to deserialize the JSON body
into the target type: ...``; an unknown coin for ``fundingHistory`` -> HTTP 500 with body ``null`` ([unverified]);
a path other than ``/info`` -> 404, a method other than POST -> 405, both with an empty body. Request types other
than the two served here answer 422 as unknown variants (lens limit).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from email.utils import formatdate
from functools import cached_property

import numpy as np

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.dydx import num
from orchestration.sample.lens import DAY_MS, Lens, clamped_rate, json_response
from orchestration.sample.world import HOUR_MS, HYPERLIQUID_LAUNCH, N_HOURS, START_MS, hash_unit

HOST = "api.hyperliquid.xyz"
PATH = "/info"
COIN = "BTC"
MAX_ROWS = 500
INTEREST_8H = 0.0001  # 0.01 % per 8 h
CLAMP = 0.0005
CAP_1H = 0.04  # 4 % per hour
LAUNCH_MS = int(datetime(HYPERLIQUID_LAUNCH.year, HYPERLIQUID_LAUNCH.month, HYPERLIQUID_LAUNCH.day,
                         tzinfo=timezone.utc).timestamp()) * 1000
FIRST_K = (LAUNCH_MS - START_MS) // HOUR_MS + 1  # boundary that settles launch's first hour
SALT_STAMP = 51
STAMP_MS = (5, 90)  # a settlement is stamped this many ms past its hour (deterministic per hour)
VOLUME_PER_SHARE = 10.0  # BTC volume per unit of OI share, in Binance spot volumes (2025: ~1x Binance spot)
UNIVERSE = [{"name": "BTC", "szDecimals": 5, "maxLeverage": 40}, {"name": "ETH", "szDecimals": 4, "maxLeverage": 25},
            {"name": "SOL", "szDecimals": 2, "maxLeverage": 20}]
OTHER_CTXS = [  # not in the world: fixed, plausible contexts
    {"funding": "0.0000125", "openInterest": "612345.1234", "prevDayPx": "2510.4", "dayNtlVlm": "1234567890.12",
     "premium": "0.00012", "oraclePx": "2512.3", "markPx": "2512.6", "midPx": "2512.65",
     "impactPxs": ["2512.5", "2512.8"], "dayBaseVlm": "491234.5678"},
    {"funding": "0.0000125", "openInterest": "3456789.12", "prevDayPx": "150.12", "dayNtlVlm": "345678901.23",
     "premium": "0.00009", "oraclePx": "150.41", "markPx": "150.43", "midPx": "150.435",
     "impactPxs": ["150.42", "150.45"], "dayBaseVlm": "2298765.43"},
]
REQUEST_TYPES = ("metaAndAssetCtxs", "fundingHistory")
SERDE_WORDING = {"Expecting value": "expected value", "Extra data": "trailing characters",
                 "Expecting property name enclosed in double quotes": "key must be a string"}


def hourly_rate(premium) -> np.ndarray:
    """Hyperliquid's hourly funding from its premium (8-hour units): an eighth of the clamped 8-hour rate,
    capped at +-``CAP_1H``."""
    return clamped_rate(premium, INTEREST_8H, CLAMP, 8 * CAP_1H) / 8  # /8 is exact: the same as capping after it


def px(x: float) -> str:
    """A BTC price as Hyperliquid writes it: whole dollars with one decimal ("105234.0")."""
    return f"{round(float(x)):.1f}"


def rejected(detail: str) -> HttpResponse:
    return HttpResponse(422, f"Failed to deserialize the JSON body into the target type: {detail}".encode(),
                        {"Content-Type": "text/plain; charset=utf-8"})


class BodyError(Exception):
    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class HyperliquidLens(Lens):
    hosts = (HOST,)

    def handle(self, request: HttpRequest, now_ms: int) -> HttpResponse:
        if request.host != HOST or request.path != PATH:
            response = HttpResponse(404, b"", {})
        elif request.method.upper() != "POST":
            response = HttpResponse(405, b"", {})
        else:
            response = self.info(request.body or b"", now_ms)
        return HttpResponse(response.status, response.body,
                            {**response.headers, "Date": formatdate(now_ms / 1000, usegmt=True)})

    # -- the body -----------------------------------------------------------------------------------------
    def info(self, raw: bytes, now_ms: int) -> HttpResponse:
        text = raw.decode("utf-8", errors="replace")
        at = f"at line 1 column {len(text)}"
        if not text.strip():
            return rejected("EOF while parsing a value at line 1 column 0")
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            return rejected(f"{SERDE_WORDING.get(exc.msg, exc.msg[:1].lower() + exc.msg[1:])} "
                            f"at line {exc.lineno} column {exc.colno}")
        try:
            if not isinstance(body, dict):
                raise BodyError(f"invalid type: {_kind(body)}, expected internally tagged enum InfoRequest {at}")
            if "type" not in body:
                raise BodyError(f"missing field `type` {at}")
            if body["type"] not in REQUEST_TYPES:
                expected = ", ".join(f"`{t}`" for t in REQUEST_TYPES)
                raise BodyError(f"unknown variant `{body['type']}`, expected one of {expected} {at}")
            if body["type"] == "metaAndAssetCtxs":
                return json_response(self.meta_and_asset_ctxs(now_ms))
            coin = _field(body, "coin", str, "a string", at)
            start = _field(body, "startTime", int, "u64", at)
            end = _field(body, "endTime", int, "u64", at, optional=True)
        except BodyError as exc:
            return rejected(exc.detail)
        if coin != COIN:
            return HttpResponse(500, b"null", {"Content-Type": "application/json"})
        return json_response(self.funding_history(start, now_ms if end is None else end, now_ms))

    # -- funding ------------------------------------------------------------------------------------------
    @cached_property
    def premium(self) -> np.ndarray:
        """Per hour of the world: Hyperliquid's premium (8-hour units), as it is published (8 decimals)."""
        return np.round(self.world.hourly["funding_8h_hyperliquid"].to_numpy(float), 8)

    def stamps(self, k: np.ndarray) -> np.ndarray:
        lo, hi = STAMP_MS
        jitter = (hash_unit(k, self.world.seed, SALT_STAMP) + 1) / 2
        return START_MS + k * HOUR_MS + (lo + (hi - lo) * jitter).astype(np.int64)

    def funding_history(self, start: int, end: int, now_ms: int) -> list[dict]:
        end = min(end, now_ms)
        k_lo = max(FIRST_K, (start - START_MS) // HOUR_MS)
        k_hi = min(N_HOURS, (end - START_MS) // HOUR_MS)
        if k_hi < k_lo:
            return []
        k = np.arange(k_lo, k_hi + 1, dtype=np.int64)
        times = self.stamps(k)
        keep = (times >= start) & (times <= end)
        k, times = k[keep][:MAX_ROWS], times[keep][:MAX_ROWS]
        premium = self.premium[k - 1]
        rates = hourly_rate(premium)
        return [{"coin": COIN, "fundingRate": num(r, 10), "premium": num(p, 8), "time": int(t)}
                for r, p, t in zip(rates, premium, times)]

    # -- the snapshot -------------------------------------------------------------------------------------
    def meta_and_asset_ctxs(self, now_ms: int) -> list:
        if now_ms < LAUNCH_MS:
            return [{"universe": []}, []]
        return [{"universe": UNIVERSE}, [self.btc_ctx(now_ms), *OTHER_CTXS]]

    def btc_ctx(self, now_ms: int) -> dict:
        w, h = self.world, self.world.hourly
        hour = min(max((now_ms - START_MS) // HOUR_MS, 0), N_HOURS - 1)
        premium = float(self.premium[hour])
        oracle = float(w.price_at(now_ms))
        mark = round(oracle * (1 + premium))
        oi = float(w.hyperliquid_oi_btc_at(now_ms))
        day = slice(max(hour - 23, 0), hour + 1)
        share = oi / (oi + float(w.oi_at(now_ms)))  # of (our five + Hyperliquid)
        base = float(h["spot_volume_btc"].iloc[day].sum()) * VOLUME_PER_SHARE * share
        notional = base * float(h["close"].iloc[day].mean())
        return {"funding": num(float(hourly_rate(premium)), 10), "openInterest": f"{oi:.5f}",
                "prevDayPx": px(w.price_at(now_ms - DAY_MS)), "dayNtlVlm": num(notional, 2), "premium": num(premium, 8),
                "oraclePx": f"{oracle:.1f}", "markPx": px(mark), "midPx": f"{mark + 0.5:.1f}",
                "impactPxs": [px(mark - 1), px(mark + 1)], "dayBaseVlm": num(base, 5)}


def _kind(value) -> str:
    """serde's name for a JSON value's kind, as its messages write it."""
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f'string "{value}"'
    if value is None:
        return "null"
    return "sequence" if isinstance(value, list) else "map"


def _field(body: dict, name: str, kind: type, expected: str, at: str, optional: bool = False):
    if body.get(name) is None:
        if optional:
            return None
        raise BodyError(f"missing field `{name}` {at}")
    value = body[name]
    if not isinstance(value, kind) or isinstance(value, bool) or (kind is int and value < 0):
        raise BodyError(f"{name}: invalid type: {_kind(value)}, expected {expected} {at}")
    return value

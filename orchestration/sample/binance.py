"""Binance as seen in the sample world: the real URLs, formats, limits and quirks of the endpoints the
connectors use (sources.md), so request building, paging and parsing run unchanged offline.

Binance's numbers are a lens on the world: OI = world OI x Binance's share, USD value = OI x price at the
same instant (API and archive agree), and the published 8-hourly funding is Binance's clamp formula applied
to the world's premium averaged over the 8 hours before each funding time.
"""
from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from functools import cached_property
from typing import Mapping

import numpy as np

from orchestration.feeds.http import HttpRequest, HttpResponse
from orchestration.sample.lens import DAY_MS, Lens, LensError, clamped_rate, json_response, window
from orchestration.sample.world import HOUR_MS, N_HOURS, START_MS, SampleWorld, hash_unit

SYMBOL = "BTCUSDT"
FUNDING_MS = 8 * HOUR_MS
INTEREST_8H = 0.0001  # Binance's interest component per 8 h
CLAMP = 0.0005  # |interest - premium| is clamped to this: small premiums publish exactly 0.0001
CAP = 0.003  # funding cap per 8 h
OI_HISTORY_MS = 30 * DAY_MS
ARCHIVE_FIRST_DAY = date(2020, 9, 1)
ARCHIVE_DUPLICATES_UNTIL = date(2021, 6, 1)  # early metrics files repeat some rows, as the real ones do
PERIOD_MS = {p: int(p[:-1]) * (60_000 if p[-1] == "m" else HOUR_MS if p[-1] == "h" else DAY_MS)
             for p in ("5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d")}
KLINE_HOURS = {"1h": 1, "2h": 2, "4h": 4, "6h": 6, "8h": 8, "12h": 12, "1d": 24}
#: the times of day of a metrics file's 5-minute rows
DAY_SLOTS = [f"{minute // 60:02d}:{minute % 60:02d}:00" for minute in range(0, 24 * 60, 5)]
METRICS_HEADER = ["create_time", "symbol", "sum_open_interest", "sum_open_interest_value",
                  "count_toptrader_long_short_ratio", "sum_toptrader_long_short_ratio",
                  "count_long_short_ratio", "sum_taker_long_short_vol_ratio"]


def binance_funding_rate(premium_8h: np.ndarray) -> np.ndarray:
    """Binance's published rate: premium + clamp(interest - premium, +-0.05 %), capped, 8 decimals."""
    return np.round(clamped_rate(premium_8h, INTEREST_8H, CLAMP, CAP), 8)


def f8(x: float) -> str:
    return f"{x:.8f}"


def error(code: int, msg: str, status: int = 400) -> HttpResponse:
    return json_response({"code": code, "msg": msg}, status)


def mandatory(name: str) -> LensError:
    return LensError(error(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."))


class BinanceLens(Lens):
    hosts = ("fapi.binance.com", "api.binance.com", "data.binance.vision")

    def __init__(self, world: SampleWorld):
        super().__init__(world)
        self.route("fapi.binance.com", r"/fapi/v1/fundingRate", self.funding_rate)
        self.route("fapi.binance.com", r"/futures/data/openInterestHist", self.open_interest_hist)
        self.route("api.binance.com", r"/api/v3/klines", self.klines)
        self.route("data.binance.vision",
                   r"/data/futures/um/daily/metrics/(?P<symbol>[A-Z0-9]+)/(?P=symbol)-metrics-"
                   r"(?P<day>\d{4}-\d{2}-\d{2})\.zip", self.metrics_archive)

    # -- errors in Binance's dialect ------------------------------------------------------------------
    def not_found(self, request: HttpRequest) -> HttpResponse:
        if request.host == "data.binance.vision":
            return no_such_key(request.path.lstrip("/"))
        return error(-5000, f"Path {request.path}, Method {request.method.upper()} is invalid", 404)

    def bad_integer(self, name: str) -> HttpResponse:
        return error(-1100, f"Illegal characters found in parameter '{name}'; legal range is '^-?[0-9]{{1,20}}$'.")

    def symbol(self, params: Mapping[str, str], required: bool = True) -> str:
        symbol = params.get("symbol") or ("" if required else SYMBOL)
        if not symbol:
            raise mandatory("symbol")
        if symbol != SYMBOL:
            raise LensError(error(-1121, "Invalid symbol."))
        return symbol

    def limit(self, params: Mapping[str, str], default: int, maximum: int) -> int:
        value = self.int_param(params, "limit", default)
        return max(1, min(value, maximum))

    # -- funding ------------------------------------------------------------------------------------
    @cached_property
    def funding_events(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every funding event of the world: (fundingTime ms incl. the +1 ms quirk, rate, mark price)."""
        premium = self.world.hourly["funding_8h"].to_numpy(float)
        csum = np.concatenate([[0.0], np.cumsum(premium)])
        k = np.arange(0, N_HOURS + 1, 8)  # funding times as hour boundaries
        lo = np.maximum(k - 8, 0)
        hi = np.maximum(k, 1)  # the very first event only sees hour 0
        rate = binance_funding_rate((csum[hi] - csum[lo]) / (hi - lo))
        times = START_MS + k * HOUR_MS
        mark = np.round(self.world.price_at(times), 8)
        late = hash_unit(k, self.world.seed, 2) > 0.7  # ~15 % of fundingTime values carry +1 ms
        return times + late.astype(np.int64), rate, mark

    def funding_rate(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        symbol = self.symbol(params, required=False)
        start, end = self.int_param(params, "startTime"), self.int_param(params, "endTime")
        limit = self.limit(params, 100, 1000)
        times, rate, mark = self.funding_events
        end = now_ms if end is None else min(end, now_ms)
        rows = [{"symbol": symbol, "fundingTime": int(times[i]), "fundingRate": f8(rate[i]),
                 "markPrice": f8(mark[i]) if np.isfinite(mark[i]) else ""}  # "" as Binance serves old rows
                for i in window(times, start, end, limit)]
        return json_response(rows)

    # -- open interest ------------------------------------------------------------------------------
    def oi_values(self, instants_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Binance OI (BTC, 3 decimals) and its USDT value at instants: one formula for API and archive."""
        oi = np.round(self.world.binance_oi_at(instants_ms), 3)
        return oi, np.round(oi * self.world.price_at(instants_ms), 8)

    def open_interest_hist(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        symbol = self.symbol(params)
        period = params.get("period")
        if not period:
            raise mandatory("period")
        if period not in PERIOD_MS:
            raise LensError(error(-1120, "Invalid interval."))
        step = PERIOD_MS[period]
        start, end = self.int_param(params, "startTime"), self.int_param(params, "endTime")
        limit = self.limit(params, 30, 500)
        oldest = now_ms - OI_HISTORY_MS
        if start is not None and start < oldest:
            raise LensError(error(-1130, "Data sent for parameter 'startTime' is not valid."))
        first = -(-oldest // step) * step  # buckets kept for 30 days
        last = (now_ms - step) // step * step  # only buckets whose right edge has passed
        if end is not None:
            last = min(last, end // step * step)
        buckets = np.arange(first, last + 1, step, dtype=np.int64)
        buckets = buckets[window(buckets, start, None, limit) if start is not None
                          else window(buckets, None, None, limit)]
        oi, value = self.oi_values(buckets + step)
        rows = [{"symbol": symbol, "sumOpenInterest": f8(o), "sumOpenInterestValue": f8(v), "timestamp": int(t)}
                for t, o, v in zip(buckets, oi, value)]
        return json_response(rows)

    # -- daily metrics archive ------------------------------------------------------------------------
    def metrics_archive(self, _params, now_ms: int, match) -> HttpResponse:
        key = f"data/futures/um/daily/metrics/{match['symbol']}/{match['symbol']}-metrics-{match['day']}.zip"
        try:
            day = date.fromisoformat(match["day"])
        except ValueError:
            return no_such_key(key)
        day_ms = (day - date(1970, 1, 1)).days * DAY_MS
        if match["symbol"] != SYMBOL or day < ARCHIVE_FIRST_DAY or day_ms + DAY_MS > now_ms:
            return no_such_key(key)
        name = f"{SYMBOL}-metrics-{day.isoformat()}.csv"
        body = zip_one(name, self.metrics_csv(day, day_ms), day + timedelta(days=1))
        return HttpResponse(200, body, {"Content-Type": "application/zip"})

    def metrics_csv(self, day: date, day_ms: int) -> bytes:
        instants = day_ms + np.arange(288, dtype=np.int64) * 300_000
        oi, value = self.oi_values(instants)
        seed = self.world.seed
        lean = np.tanh(np.interp(instants, START_MS + np.arange(N_HOURS) * HOUR_MS,
                                 self.world.hourly["funding_8h"].to_numpy(float)) / 0.001)
        ratios = [1.2 + 0.5 * lean + 0.05 * hash_unit(instants, seed, 10 + j) for j in range(4)]
        ratios[3] = 1.0 + 0.1 * lean + 0.15 * hash_unit(instants, seed, 14)  # taker buy/sell volume
        repeats = set()
        if day < ARCHIVE_DUPLICATES_UNTIL:
            slots = (hash_unit(np.array([day_ms, day_ms + 1]), seed, 20) + 1) * 144
            repeats = {int(s) for s in slots}
        # one line per 5 minutes, one format call each (six years of archives are ~630k lines)
        line = f"{day.isoformat()} %s,{SYMBOL}," + ",".join(["%.8f"] * (len(METRICS_HEADER) - 2))
        lines = [",".join(METRICS_HEADER)]
        for i, fields in enumerate(zip(DAY_SLOTS, oi.tolist(), value.tolist(), *(r.tolist() for r in ratios))):
            lines += [line % fields] * (2 if i in repeats else 1)
        return ("\n".join(lines) + "\n").encode()

    # -- spot klines ----------------------------------------------------------------------------------
    def klines(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        self.symbol(params)
        interval = params.get("interval")
        if not interval:
            raise mandatory("interval")
        if interval not in KLINE_HOURS:
            raise LensError(error(-1120, "Invalid interval."))
        hours = KLINE_HOURS[interval]
        step = hours * HOUR_MS
        start, end = self.int_param(params, "startTime"), self.int_param(params, "endTime")
        limit = self.limit(params, 500, 1000)
        end = now_ms if end is None else min(end, now_ms)
        opens = np.arange(START_MS, min(end, START_MS + N_HOURS * HOUR_MS - 1) + 1, step, dtype=np.int64)
        opens = self.existing_bars(opens, step)
        opens = opens[window(opens, start, None, limit)]
        if len(opens) == 0:
            return json_response([])
        return json_response(self._klines(opens, step, now_ms))

    def existing_bars(self, opens: np.ndarray, step: int) -> np.ndarray:
        """The bars Binance has among ``opens`` (a page holds the first ``limit`` that exist): all of them in
        the sample world, which never halts trading."""
        return opens

    @cached_property
    def _hours(self) -> dict[str, np.ndarray]:
        h = self.world.hourly
        return {c: h[c].to_numpy(float) for c in ("open", "high", "low", "close", "spot_volume_btc")}

    def _klines(self, opens: np.ndarray, step: int, now_ms: int) -> list[list]:
        """Klines aggregated from the world's hours; the one still open at ``now`` only shows the past."""
        first = (opens - START_MS) // HOUR_MS
        a = int(first[0])
        b = max(min(int(first[-1]) + step // HOUR_MS, -(-(now_ms - START_MS) // HOUR_MS), N_HOURS), int(first[-1]) + 1)
        o, hi, lo, c, vol = (self._hours[k][a:b].copy() for k in ("open", "high", "low", "close", "spot_volume_btc"))
        elapsed = (now_ms - START_MS) / HOUR_MS - (b - 1)
        if elapsed < 1:  # the current hour: up to now only
            c[-1] = float(self.world.price_at(now_ms))
            hi[-1], lo[-1], vol[-1] = max(o[-1], c[-1]), min(o[-1], c[-1]), vol[-1] * elapsed
        vol = np.round(vol, 5)
        buy = np.round(vol * (0.5 + 0.08 * np.tanh(np.log(c / o) * 50)), 5)
        mid = (o + hi + lo + c) / 4
        cut = first - a
        ends = np.append(cut[1:], len(o)) - 1
        agg = {"open": o[cut], "high": np.maximum.reduceat(hi, cut), "low": np.minimum.reduceat(lo, cut),
               "close": c[ends], "vol": np.add.reduceat(vol, cut), "quote": np.add.reduceat(vol * mid, cut),
               "buy": np.add.reduceat(buy, cut), "buy_quote": np.add.reduceat(buy * mid, cut)}
        return [[int(t), f8(round(agg["open"][i], 2)), f8(round(agg["high"][i], 2)), f8(round(agg["low"][i], 2)),
                 f8(round(agg["close"][i], 2)), f8(agg["vol"][i]), int(t) + step - 1, f8(agg["quote"][i]),
                 int(agg["vol"][i] / 0.012), f8(agg["buy"][i]), f8(agg["buy_quote"][i]), "0"]
                for i, t in enumerate(opens)]


def no_such_key(key: str) -> HttpResponse:
    """What S3 behind data.binance.vision answers for a file that does not exist (yet)."""
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
            f"<Message>The specified key does not exist.</Message><Key>{key}</Key></Error>").encode()
    return HttpResponse(404, body, {"Content-Type": "application/xml"})


def zip_one(name: str, data: bytes, stamp: date) -> bytes:
    """A one-file zip with fixed metadata, so re-fetching a day gives identical bytes (same sha256); deflated
    at level 1 (what matters offline is the time to write six years of them, not their size)."""
    info = zipfile.ZipInfo(name, date_time=(stamp.year, stamp.month, stamp.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, data, compresslevel=1)
    return buffer.getvalue()

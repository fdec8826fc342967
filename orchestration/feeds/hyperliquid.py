"""Hyperliquid BTC perpetual: hourly funding history and the daily open-interest snapshot.

Every call is ``POST https://api.hyperliquid.xyz/info`` with a JSON body naming its ``type``; no key. Numbers
arrive as decimal strings, times as epoch milliseconds. A malformed request is answered HTTP 422 in plain text
(``Failed to deserialize the JSON body into the target type: ...``), which ``check`` reports as it is: there
is no JSON error envelope. The rate limit is a weight budget per IP (``WEIGHT_PER_MINUTE``); HTTP 429 is
retried by the client. A coin Hyperliquid does not list is answered ``null`` [unverified; some reports say
HTTP 500 ``null``, which the client retries and then reports as the HTTP error it is].

Funding settles every hour: ``fundingRate`` is per 1 h (a fraction), stamped a few ms past the hour by the block
that settles it; it lands on the hour it settles. ``fundingHistory`` answers at most 500 rows, ascending, for
``startTime``..``endTime`` (both inclusive, per Chainstack's reference of the endpoint); a full page is followed
by the next settlement's hour.

There is no OI history: ``metaAndAssetCtxs`` gives only "now", so, as for Deribit, the daily run just after
midnight lands the snapshot as the closing OI of the day that just ended. The payload carries no time: the
snapshot instant is the response's ``Date`` header, which landing keeps beside the payload.

What is asked for is checked against the payload where it shows: every funding row names its coin (BTC), stamps
an hourly settlement (within ``SETTLEMENT_SLACK`` past the hour, rows an hour apart) and lies within the request's
``startTime``..``endTime``; the snapshot's BTC context is found by name in the universe, whose length the
contexts must match. What the payload cannot show: the snapshot's instant (the ``Date`` header is trusted)
and whether ``openInterest`` counts one side or both (see ``OpenInterest``).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from orchestration.feeds.base import (Dataset, Row, Window, check_range, check_spacing, cli, epoch_ms, field,
                                      just_ended, load_json, number, plausible_time, require_list, text, to_ms,
                                      utc, utc_today)
from orchestration.feeds.http import HttpRequest, HttpResponse, ProviderSpec

COIN = "BTC"
API = "https://api.hyperliquid.xyz/info"
HOUR_MS = 3_600_000
LIMIT = 500  # fundingHistory rows per answer
#: [assumption] BTC's first funding day: Hyperliquid's mainnet perps launched in 2023; the first day its
#: fundingHistory serves for BTC was not found in a public source (days before are recorded unavailable)
LAUNCH = date(2023, 5, 12)
#: how late after the hour a settlement may be stamped (observed: a few ms, the settling block's time)
SETTLEMENT_SLACK = timedelta(minutes=1)
SNAPSHOT_GRACE = timedelta(hours=6)  # a day's closing OI snapshot: taken in [day end, day end + 6 h)

# Weight budget per IP, per Hyperliquid's API docs: 1,200 a minute; info requests weigh 20, fundingHistory 1 more
# per 20 rows answered. A page's size is known only once it came, so its worst case is charged up front.
WEIGHT_PER_MINUTE = 1000  # a margin under 1,200 for anything else on the same IP
BASE_WEIGHT = 20
FUNDING_WEIGHT = BASE_WEIGHT + LIMIT // 20


def _asked(request: HttpRequest) -> dict:
    """The JSON body a request sends (what it asked for)."""
    return json.loads(request.body or b"{}")


def _weight(request: HttpRequest) -> float:
    return FUNDING_WEIGHT if _asked(request).get("type") == "fundingHistory" else BASE_WEIGHT


PROVIDER = ProviderSpec("hyperliquid", weight_per_minute=WEIGHT_PER_MINUTE, request_weight=_weight)


def info(body: dict) -> HttpRequest:
    """A POST to the info endpoint, its body compact JSON (times as integers)."""
    return HttpRequest("POST", API, {}, {"Content-Type": "application/json"},
                       json.dumps(body, separators=(",", ":")).encode())


def settlement_hour(value: Any) -> datetime:
    """The hour a funding ``time`` (epoch ms, a few ms past it) settles; a stamp later than ``SETTLEMENT_SLACK``
    past the hour is no hourly settlement. Floored like Binance's stamps, to the grid the series is on."""
    moment = epoch_ms(value)
    hour = moment.replace(minute=0, second=0, microsecond=0)
    if moment - hour >= SETTLEMENT_SLACK:
        raise ValueError(f"{moment:%Y-%m-%d %H:%M:%S} is {moment - hour} past the hour: not an hourly settlement")
    return hour


class HyperliquidDataset(Dataset):
    provider = PROVIDER

    def hint(self, response: HttpResponse) -> str:
        return "Hyperliquid could not read the request body: a connector bug" if response.status == 422 else ""


class Funding(HyperliquidDataset):
    """``fundingHistory``: hourly settlements, ascending, paged forward 500 rows at a time."""

    name = "funding"
    time_column = "funding_time"
    columns = {"coin": "VARCHAR", "funding_time": "TIMESTAMP", "funding_rate": "DOUBLE", "premium": "DOUBLE"}
    nullable = frozenset()

    def servable(self, day: date, now: datetime) -> bool:
        return LAUNCH <= day <= utc_today(now)

    def _request(self, start_ms: int, end_ms: int) -> HttpRequest:
        return info({"type": "fundingHistory", "coin": COIN, "startTime": start_ms, "endTime": end_ms})

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        days = self.servable_days(window, now)
        if not days:
            return []
        served = Window(days[0], days[-1])
        return [self._request(served.start_ms, served.end_ms - 1)]  # endTime is inclusive

    def next_request(self, request: HttpRequest, rows: list[Row], window: Window) -> HttpRequest | None:
        """After a full page, the next settlement's hour: rows keep the floored hour, not the raw stamp."""
        asked = _asked(request)
        start, end = asked["startTime"], asked["endTime"]
        check_range(self, [r["funding_time"] for r in rows], start // HOUR_MS * HOUR_MS, end, "startTime..endTime",
                    "funding row")
        if len(rows) < LIMIT:
            return None
        return self._request(to_ms(rows[-1]["funding_time"]) + HOUR_MS, end)

    def parse(self, body: bytes) -> list[Row]:
        payload = load_json(self, body)
        if payload is None:
            raise self.parse_error(f"payload is null (None), Hyperliquid's answer for a coin it does not list: "
                                   f"no funding history for coin {COIN!r}")
        rows: dict[datetime, Row] = {}
        for i, rec in enumerate(require_list(self, payload, "funding rows")):
            where = f" in row {i}"
            row = {
                "coin": self.instrument(rec, "coin", COIN, where=where),
                "funding_time": field(self, rec, "time", settlement_hour, where=where),
                "funding_rate": field(self, rec, "fundingRate", number, where=where),
                "premium": field(self, rec, "premium", number, where=where),
            }
            self.keep_once(rows, row["funding_time"], row, where)
        check_spacing(self, rows.keys(), HOUR_MS, "1h", what="funding rows")
        return list(rows.values())


class OpenInterest(HyperliquidDataset):
    """Day D's closing OI = the ``metaAndAssetCtxs`` snapshot taken in [D's end, D's end + 6 h), as for Deribit:
    ``ts`` is the response's ``Date``, its partition the day of ``ts - 6 h``, matching ``servable``.

    ``openInterest`` is in coins (BTC). Which sides it counts is [unverified]: one side (total longs = total
    shorts) per Bitquery's Hyperliquid funding-rates reference ("Open_Interest (one side, base units)"), but
    reports of July 2025 (blockchain.news, 2025-07-16, citing a reply by Binance Futures) say Hyperliquid sums
    longs and shorts, and no Hyperliquid document found settles it. It lands as served; the venues it is summed
    with (Binance, Bybit, OKX, dYdX) count one side, so a two-sided figure would have to be halved downstream.
    """

    name = "open_interest"
    time_column = "ts"
    columns = {"coin": "VARCHAR", "ts": "TIMESTAMP", "oi_btc": "DOUBLE", "mark_price": "DOUBLE",
               "oracle_price": "DOUBLE"}
    nullable = frozenset({"oracle_price"})
    kept_headers = ("Date",)

    def servable(self, day: date, now: datetime) -> bool:
        return LAUNCH <= day and just_ended(day, now, SNAPSHOT_GRACE)

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        return [info({"type": "metaAndAssetCtxs"})] if self.servable_days(window, now) else []

    def partition_times(self, frame):
        import pandas as pd

        return pd.to_datetime(frame["ts"]) - SNAPSHOT_GRACE

    def parse(self, body: bytes) -> list[Row]:
        """A bare payload has no ``Date``: refused, naming it (landing keeps the header beside the payload)."""
        return self.parse_response(HttpResponse(200, body))

    def parse_response(self, response: HttpResponse) -> list[Row]:
        ctx = self.btc_context(response.body)
        return [{
            "coin": COIN,
            "ts": self.snapshot_time(response),
            "oi_btc": field(self, ctx, "openInterest", number, where=" in BTC's context"),
            "mark_price": field(self, ctx, "markPx", number, where=" in BTC's context"),
            "oracle_price": field(self, ctx, "oraclePx", number, where=" in BTC's context", optional=True),
        }]

    def btc_context(self, body: bytes) -> Any:
        """BTC's context in ``[meta, ctxs]``: ``ctxs`` align by index with ``meta.universe``; BTC is found by name."""
        payload = load_json(self, body)
        if not isinstance(payload, list) or len(payload) != 2:
            raise self.parse_error(f"expected [meta, asset contexts] (a JSON list of two), got {payload!r:.160}")
        meta, ctxs = payload
        universe = require_list(self, field(self, meta, "universe", lambda v: v, where=" in meta"), "meta.universe")
        names = [field(self, asset, "name", text, where=f" in universe[{i}]") for i, asset in enumerate(universe)]
        ctxs = require_list(self, ctxs, "asset contexts")
        if len(ctxs) != len(universe):
            raise self.parse_error(f"{len(ctxs)} asset contexts for a universe of {len(universe)}: contexts are "
                                   "matched to assets by position, so none can be trusted")
        found = [i for i, name in enumerate(names) if name == COIN]
        if len(found) != 1:
            raise self.parse_error(f"the universe lists {COIN!r} {len(found)} times, not once: {names[:20]}")
        return ctxs[found[0]]

    def snapshot_time(self, response: HttpResponse) -> datetime:
        """The response's ``Date`` (RFC 7231, GMT) as UTC: when the snapshot was served."""
        value = response.header("Date")
        if value is None:
            raise self.parse_error("the response has no Date header, the only clock of this snapshot (a payload "
                                   "landed keeps it in <payload>.headers)")
        try:
            moment = parsedate_to_datetime(value)
            if moment.tzinfo is None:
                raise ValueError("no time zone")
            return plausible_time(utc(moment).replace(tzinfo=None))
        except (TypeError, ValueError) as exc:
            raise self.parse_error(f"the response's Date header {value!r} is not an HTTP date in 2009..2100 "
                                   f"({exc})") from exc


DATASETS: dict[str, Dataset] = {d.name: d for d in (Funding(), OpenInterest())}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

"""Bybit v5 linear BTCUSDT: settled funding history and hourly open interest.

Shapes follow ``shared/design/sources.md``: every answer is a ``{"retCode", "retMsg", "result"}`` envelope,
``retCode != 0`` is an error even with HTTP 200, and rate limiting shows up as HTTP 403 or retCode 10006.
Both endpoints answer newest first with numbers (and millisecond stamps) as strings. Funding has no
cursor, so it is paged backwards by moving ``endTime`` before the oldest row seen; open interest pages
with the opaque ``result.nextPageCursor`` ("" when done).

Assumptions, coded defensively: funding settles every 8 h (Bybit can change a symbol's interval, see
instruments-info ``fundingInterval``; the rate lands as published and the gate checks the schedule);
how far back hourly OI is served is [unverified]: days from the BTCUSDT launch (2020-03-25) are planned
as servable, so a shorter real history would show up as missing rows, not silently as "unavailable".

What is asked for is checked against the payload where it shows: funding rows name their symbol, the OI answer
names its symbol and category once (``result``), every row must lie in the request's ``startTime``..``endTime``,
a cursor must move, and the OI answer, which does not name its ``intervalTime``, must hold stamps of that
interval (hourly, on the hour). What the payload cannot show: the funding interval (rates land as published).
"""
from __future__ import annotations

from datetime import date, datetime

from typing import Any

from orchestration.feeds.base import (Dataset, PageRows, Row, Window, check_spacing, cli, field, from_ms, interval_ms,
                                      load_json, number, require_list, to_ms, utc_today)
from orchestration.feeds.http import HttpRequest, HttpResponse, ProviderSpec

API = "https://api.bybit.com"
CATEGORY = "linear"
SYMBOL = "BTCUSDT"
LAUNCH = date(2020, 3, 25)  # BTCUSDT linear perpetual
RATE_LIMITED = 10006  # "Too many visits"


def _rate_limited(response: HttpResponse) -> bool:
    """Bybit answers an IP over its limit with HTTP 403, an API over its limit with retCode 10006."""
    return response.status == 403 or str(response.json_object().get("retCode")) == str(RATE_LIMITED)


# public market endpoints allow far more; stay polite
PROVIDER = ProviderSpec("bybit", requests_per_second=5.0, rate_limited=_rate_limited)


class BybitDataset(Dataset):
    provider = PROVIDER
    limit = 200

    def servable(self, day: date, now: datetime) -> bool:
        return LAUNCH <= day <= utc_today(now)

    def hint(self, response: HttpResponse) -> str:
        return "rate limited" if response.status == 403 else ""

    def provider_error(self, payload: Any) -> str | None:
        if isinstance(payload, dict) and "retCode" in payload and str(payload["retCode"]) != "0":
            code = payload["retCode"]
            what = "rate limited" if str(code) == str(RATE_LIMITED) else "error"
            return f"{what}: retCode {code}: {payload.get('retMsg')}"
        return None

    def result(self, body: bytes) -> tuple[dict, list]:
        """``result`` and its ``list`` from a successful envelope."""
        payload = load_json(self, body)
        self.refuse_provider_error(payload)
        if not isinstance(payload, dict) or "retCode" not in payload:
            raise self.parse_error(f"expected a Bybit envelope {{retCode, retMsg, result}}, got {payload!r:.160}")
        result = payload.get("result")
        if not isinstance(result, dict):
            raise self.parse_error(f"expected 'result' as an object, got {result!r:.160}")
        return result, require_list(self, result.get("list"), "result.list")

    def _window_params(self, window: Window, now: datetime) -> dict[str, str] | None:
        days = self.servable_days(window, now)
        if not days:
            return None
        span = Window(days[0], days[-1])
        return {"category": CATEGORY, "symbol": SYMBOL, "startTime": str(span.start_ms),
                "endTime": str(span.end_ms - 1), "limit": str(self.limit)}

    def _check_order(self, times: list[datetime], request: HttpRequest) -> None:
        """Rows outside the asked range mean the API ignored it: paging would loop or duplicate."""
        start, end = int(request.params["startTime"]), int(request.params["endTime"])
        if times and (to_ms(max(times)) > end or to_ms(min(times)) < start - 999):
            raise self.parse_error(f"page holds rows outside [{start}, {end}]: Bybit ignored the time range")


class Funding(BybitDataset):
    """``/v5/market/funding/history``: settled funding, newest first, at most 200 rows a page; no cursor,
    so the next page ends just before the oldest row received."""

    name = "funding"
    time_column = "funding_time"
    columns = {"symbol": "VARCHAR", "funding_time": "TIMESTAMP", "funding_rate": "DOUBLE"}

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        params = self._window_params(window, now)
        return [HttpRequest("GET", f"{API}/v5/market/funding/history", params)] if params else []

    def next_request(self, request, rows, window):
        times = [r["funding_time"] for r in rows]
        self._check_order(times, request)
        if len(rows) < int(request.params["limit"]):
            return None  # a short page: nothing older within the range
        oldest = to_ms(min(times))
        if oldest <= int(request.params["startTime"]):
            return None
        return HttpRequest(request.method, request.url, {**request.params, "endTime": str(oldest - 1)})

    def parse(self, body: bytes) -> list[Row]:
        rows = []
        for i, rec in enumerate(self.result(body)[1]):
            where = f" in result.list[{i}]"
            rows.append({
                "symbol": self.instrument(rec, "symbol", SYMBOL, where=where),
                "funding_time": field(self, rec, "fundingRateTimestamp", from_ms, where=where),
                "funding_rate": field(self, rec, "fundingRate", number, where=where),
            })
        return rows


class OpenInterest(BybitDataset):
    """``/v5/market/open-interest`` at ``intervalTime=1h``: linear OI in BTC at each hour ``ts``, newest
    first, up to 200 rows a page, further pages by ``cursor``."""

    name = "open_interest"
    time_column = "ts"
    columns = {"symbol": "VARCHAR", "ts": "TIMESTAMP", "interval": "VARCHAR", "oi_btc": "DOUBLE"}
    interval = "1h"

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        params = self._window_params(window, now)
        if not params:
            return []
        return [HttpRequest("GET", f"{API}/v5/market/open-interest", {**params, "intervalTime": self.interval})]

    def next_request(self, request, rows, window):
        self._check_order([r["ts"] for r in rows], request)
        cursor = getattr(rows, "cursor", "")
        if not rows or not cursor:
            return None
        if cursor == request.params.get("cursor"):
            raise self.parse_error(f"nextPageCursor {cursor!r} repeats the request's cursor: paging would loop")
        return HttpRequest(request.method, request.url, {**request.params, "cursor": cursor})

    def parse(self, body: bytes) -> list[Row]:
        result, records = self.result(body)
        symbol = self.instrument(result, "symbol", SYMBOL, where=" in result", optional=True)  # rows do not repeat it
        self.instrument(result, "category", CATEGORY, where=" in result", optional=True)
        rows = PageRows()
        for i, rec in enumerate(records):
            where = f" in result.list[{i}]"
            rows.append({
                "symbol": symbol,
                "ts": field(self, rec, "timestamp", from_ms, where=where),
                "interval": self.interval,
                "oi_btc": field(self, rec, "openInterest", number, where=where),
            })
        check_spacing(self, [r["ts"] for r in rows], interval_ms(self.interval), self.interval, what="OI rows")
        cursor = result.get("nextPageCursor") or ""
        if not isinstance(cursor, str):
            raise self.parse_error(f"result.nextPageCursor should be a string, got {cursor!r:.80}")
        rows.cursor = cursor
        return rows


DATASETS: dict[str, Dataset] = {d.name: d for d in (Funding(), OpenInterest())}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

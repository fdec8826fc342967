"""dYdX v4 indexer, BTC-USD: hourly funding and hourly candles (for their starting open interest).

Both endpoints answer newest first, at most 100 rows a call, so a window is paged *backwards*: the next
request ends just before the oldest row received, until the window's start (or the history's) is reached.
Numbers arrive as strings, times as ISO ``2023-11-01T00:00:00.000Z``. Errors are
``{"errors": [{"msg": ...}]}`` with HTTP 400; the rate limit is HTTP 429 (retried by the client). v4 launched
on 2023-10-27: earlier days are unavailable, not failed. The candle shape is [unverified] beyond the fields
used here, which are parsed defensively (strings or numbers; ``usdVolume``/``close`` optional).

What is asked for is checked against the payload where it shows: every row names its ticker (and a candle its
resolution); candles must be hourly stamps on the hour within the request's ``fromISO``..``toISO``; a funding
row must not be later than the request's ``effectiveBeforeOrAt`` (the cursor ignored would page forever). What
the payload cannot show: funding's own cadence (rows land as published, not checked to be hourly).
"""
from __future__ import annotations

from datetime import date, datetime

from typing import Any

from orchestration.feeds.base import (Dataset, Row, Window, check_range, check_spacing, cli, field, integer, load_json,
                                      ms_time, number, require_list, to_ms, utc_time, utc_today)
from orchestration.feeds.http import HttpRequest, ProviderSpec

TICKER = "BTC-USD"
API = "https://indexer.dydx.trade/v4"
PROVIDER = ProviderSpec("dydx", requests_per_second=5.0)
LAUNCH = date(2023, 10, 27)  # dYdX v4 mainnet: nothing before
LIMIT = 100
HOUR_MS = 3_600_000  # a 1HOUR candle


def iso(ms: int) -> str:
    """The indexer's own ISO form, millisecond precision."""
    moment = ms_time(ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class DydxDataset(Dataset):
    provider = PROVIDER
    list_key: str

    def servable(self, day: date, now: datetime) -> bool:
        return LAUNCH <= day <= utc_today(now)

    def span(self, window: Window, now: datetime) -> tuple[int, int] | None:
        """[first ms, last ms] (inclusive) of the window's servable days, never beyond ``now``."""
        days = self.servable_days(window, now)
        if not days:
            return None
        served = Window(days[0], days[-1])
        return served.start_ms, min(served.end_ms - 1, to_ms(now))

    def provider_error(self, payload: Any) -> str | None:
        """The indexer's errors: ``{"errors": [{"msg", "param"?, "location"?}, ...]}``."""
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if not isinstance(errors, list) or not errors:
            return None
        return "; ".join(str(e.get("msg", e)) + (f" (param {e['param']})" if e.get("param") else "")
                         if isinstance(e, dict) else str(e) for e in errors)

    def records(self, body: bytes) -> list:
        payload = load_json(self, body)
        self.refuse_provider_error(payload)
        if not isinstance(payload, dict) or self.list_key not in payload:
            raise self.parse_error(f"expected an object with {self.list_key!r}, got {payload!r:.160}")
        return require_list(self, payload[self.list_key], self.list_key)

    def oldest_ms(self, rows: list[Row]) -> int | None:
        return to_ms(min(r[self.time_column] for r in rows)) if rows else None


class Funding(DydxDataset):
    """``/historicalFunding/BTC-USD``: hourly rates (per 1 h, not 8 h), paged back by ``effectiveBeforeOrAt``."""

    name = "funding"
    time_column = "effective_at"
    list_key = "historicalFunding"
    columns = {"ticker": "VARCHAR", "effective_at": "TIMESTAMP", "rate": "DOUBLE", "price": "DOUBLE",
               "effective_at_height": "BIGINT"}
    nullable = frozenset({"price", "effective_at_height"})

    def _request(self, before_or_at_ms: int) -> HttpRequest:
        return HttpRequest("GET", f"{API}/historicalFunding/{TICKER}",
                           {"limit": str(LIMIT), "effectiveBeforeOrAt": iso(before_or_at_ms)})

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        span = self.span(window, now)
        return [] if span is None else [self._request(span[1])]

    def next_request(self, request, rows, window):
        check_range(self, [r["effective_at"] for r in rows], None,
                    to_ms(utc_time(request.params["effectiveBeforeOrAt"])), "effectiveBeforeOrAt", "funding row")
        oldest = self.oldest_ms(rows)
        if oldest is None or len(rows) < LIMIT or oldest <= window.start_ms:
            return None
        return self._request(oldest - 1)

    def parse(self, body: bytes) -> list[Row]:
        rows = []
        for i, rec in enumerate(self.records(body)):
            where = f" in row {i}"
            rows.append({
                "ticker": self.instrument(rec, "ticker", TICKER, where=where),
                "effective_at": field(self, rec, "effectiveAt", utc_time, where=where),
                "rate": field(self, rec, "rate", number, where=where),
                "price": field(self, rec, "price", number, where=where, optional=True),
                "effective_at_height": field(self, rec, "effectiveAtHeight", integer, where=where, optional=True),
            })
        return rows


class OpenInterest(DydxDataset):
    """Hourly candles; ``startingOpenInterest`` is the OI in BTC at the candle's start (``started_at``)."""

    name = "open_interest"
    time_column = "started_at"
    list_key = "candles"
    columns = {"ticker": "VARCHAR", "started_at": "TIMESTAMP", "starting_open_interest": "DOUBLE",
               "close": "DOUBLE", "usd_volume": "DOUBLE"}
    nullable = frozenset({"close", "usd_volume"})
    resolution = "1HOUR"

    def _request(self, from_ms: int, to_ms_: int) -> HttpRequest:
        return HttpRequest("GET", f"{API}/candles/perpetualMarkets/{TICKER}",
                           {"resolution": self.resolution, "fromISO": iso(from_ms), "toISO": iso(to_ms_),
                            "limit": str(LIMIT)})

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        span = self.span(window, now)
        return [] if span is None else [self._request(*span)]

    def next_request(self, request, rows, window):
        start = to_ms(utc_time(request.params["fromISO"]))
        check_range(self, [r["started_at"] for r in rows], start, to_ms(utc_time(request.params["toISO"])),
                    "fromISO..toISO", "candle")
        oldest = self.oldest_ms(rows)
        if oldest is None or len(rows) < LIMIT or oldest <= start:
            return None
        return self._request(start, oldest - 1)

    def parse(self, body: bytes) -> list[Row]:
        rows: dict[datetime, Row] = {}
        for i, rec in enumerate(self.records(body)):
            where = f" in candle {i}"
            self.instrument(rec, "resolution", self.resolution, where=where, optional=True)
            row = {
                "ticker": self.instrument(rec, "ticker", TICKER, where=where),
                "started_at": field(self, rec, "startedAt", utc_time, where=where),
                "starting_open_interest": field(self, rec, "startingOpenInterest", number, where=where),
                "close": field(self, rec, "close", number, where=where, optional=True),
                "usd_volume": field(self, rec, "usdVolume", number, where=where, optional=True),
            }
            earlier = rows.get(row["started_at"])
            if earlier is not None and earlier != row:
                raise self.parse_error(f"conflicting candles for {row['started_at']}{where}")
            rows[row["started_at"]] = row
        check_spacing(self, rows.keys(), HOUR_MS, self.resolution, what="candles")
        return list(rows.values())


DATASETS: dict[str, Dataset] = {d.name: d for d in (Funding(), OpenInterest())}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

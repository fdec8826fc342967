"""Deribit BTC-PERPETUAL: hourly funding history and the daily open-interest snapshot.

Deribit speaks JSON-RPC over GET: ``{"jsonrpc": "2.0", "result": ..., "usIn": .., "usOut": ..}``, errors as
``{"jsonrpc": "2.0", "error": {"code": .., "message": ..}}`` (HTTP 200 or 400); code 10028
``too_many_requests`` is its rate limit. Numbers are JSON numbers, but strings are tolerated.

Funding is reported hourly: realised funding over a period is the *sum* of ``interest_1h``; ``interest_8h`` is
a rolling 8-hour quote, kept as-is for reference and never to be summed (adjacent rows overlap by 7 hours).

Deribit has no free OI history: ``get_book_summary_by_instrument`` gives only "now". The daily run just after
midnight lands yesterday's closing snapshot; the response shape is [unverified] (sources.md), so every field
but ``open_interest`` is optional and the snapshot time falls back to the envelope's ``usOut``.

What is asked for is checked against the payload where it shows: funding rows must be hourly stamps on the hour
within the request's ``start_timestamp``..``end_timestamp``; a book summary naming another instrument is
refused. What the payload cannot show: funding rows do not name their instrument (the request's
``BTC-PERPETUAL`` is trusted), nor whether ``open_interest`` is in USD.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from typing import Any

from orchestration.feeds.base import (Dataset, Row, Window, check_range, check_spacing, cli, field, from_ms, integer,
                                      just_ended, load_json, number, require_list, utc_today)
from orchestration.feeds.http import HttpRequest, HttpResponse, ProviderSpec

INSTRUMENT = "BTC-PERPETUAL"
API = "https://www.deribit.com/api/v2/public"
RATE_LIMIT_CODE = 10028  # too_many_requests


def _rate_limited(response: HttpResponse) -> bool:
    error = response.json_object().get("error")
    return isinstance(error, dict) and error.get("code") == RATE_LIMIT_CODE


# Public (non-matching-engine) requests are credit-limited; a few a second stays well inside it.
PROVIDER = ProviderSpec("deribit", requests_per_second=5.0, rate_limited=_rate_limited)
HOUR_MS = 3_600_000
FUNDING_FIRST_DAY = date(2020, 1, 1)
MAX_HOURS_PER_CALL = 744  # get_funding_rate_history returns at most 744 hourly rows
SNAPSHOT_GRACE = timedelta(hours=6)  # a day's closing OI snapshot: taken in [day end, day end + 6 h)


class DeribitDataset(Dataset):
    provider = PROVIDER

    def provider_error(self, payload: Any) -> str | None:
        """JSON-RPC errors: ``{"error": {"code", "message", "data"?}}``."""
        err = payload.get("error") if isinstance(payload, dict) else None
        if not isinstance(err, dict):
            return None
        hint = " (rate limited: too_many_requests)" if err.get("code") == RATE_LIMIT_CODE else ""
        detail = f" {err['data']}" if err.get("data") else ""
        return f"error {err.get('code')}: {err.get('message')}{detail}{hint}"

    def result(self, body: bytes, what: str) -> tuple[list, dict]:
        """The envelope's ``result`` list (and the envelope itself)."""
        payload = load_json(self, body)
        self.refuse_provider_error(payload)
        if not isinstance(payload, dict) or "result" not in payload:
            raise self.parse_error(f"expected a JSON-RPC object with 'result', got {payload!r:.160}")
        return require_list(self, payload["result"], what), payload


class Funding(DeribitDataset):
    """``get_funding_rate_history``: hourly rows, ascending, windows split into chunks of <= 744 hours.

    ``interest_1h`` sums to realised funding; ``interest_8h`` is a rolling quote: never sum it.
    """

    name = "funding"
    time_column = "ts"
    columns = {"instrument_name": "VARCHAR", "ts": "TIMESTAMP", "interest_1h": "DOUBLE", "interest_8h": "DOUBLE",
               "index_price": "DOUBLE", "prev_index_price": "DOUBLE"}
    nullable = frozenset({"interest_8h", "index_price", "prev_index_price"})

    def servable(self, day: date, now: datetime) -> bool:
        return FUNDING_FIRST_DAY <= day <= utc_today(now)

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        days = self.servable_days(window, now)
        if not days:
            return []
        start = Window(days[0], days[-1]).start_ms
        end = Window(days[0], days[-1]).end_ms  # exclusive
        step = MAX_HOURS_PER_CALL * HOUR_MS
        return [HttpRequest("GET", f"{API}/get_funding_rate_history",
                            {"instrument_name": INSTRUMENT, "start_timestamp": str(t),
                             "end_timestamp": str(min(t + step, end) - 1)})  # inclusive end: chunks never overlap
                for t in range(start, end, step)]

    def parse(self, body: bytes) -> list[Row]:
        records, _ = self.result(body, "funding rows")
        rows: dict[datetime, Row] = {}
        for i, rec in enumerate(records):
            where = f" in row {i}"
            row = {
                "instrument_name": INSTRUMENT,
                "ts": field(self, rec, "timestamp", from_ms, where=where),
                "interest_1h": field(self, rec, "interest_1h", number, where=where),
                "interest_8h": field(self, rec, "interest_8h", number, where=where, optional=True),  # as quoted
                "index_price": field(self, rec, "index_price", number, where=where, optional=True),
                "prev_index_price": field(self, rec, "prev_index_price", number, where=where, optional=True),
            }
            self.keep_once(rows, row["ts"], row, where)
        check_spacing(self, rows.keys(), HOUR_MS, "1h", what="funding rows")
        return list(rows.values())

    def next_request(self, request: HttpRequest, rows: list[Row], window: Window) -> HttpRequest | None:
        """No paging (windows are chunked up front): every row inside the chunk asked for."""
        check_range(self, [r["ts"] for r in rows], int(request.params["start_timestamp"]),
                    int(request.params["end_timestamp"]), "start_timestamp..end_timestamp", "funding row")
        return None


class OpenInterest(DeribitDataset):
    """Day D's closing OI = the "now" snapshot taken in [D's end, D's end + 6 h) (the 00:30 UTC run).

    Older days are unavailable: Deribit keeps no free OI history. ``ts`` is the snapshot instant; its
    partition is the day of ``ts - 6 h``, so any snapshot in [D+1 00:00, D+1 06:00) lands on D, matching
    ``servable``.
    ``open_interest`` is USD for the inverse perpetual (10 USD contracts) [unverified].
    """

    name = "open_interest"
    time_column = "ts"
    columns = {"instrument_name": "VARCHAR", "ts": "TIMESTAMP", "oi_usd": "DOUBLE", "mark_price": "DOUBLE"}
    nullable = frozenset({"mark_price"})

    def servable(self, day: date, now: datetime) -> bool:
        return just_ended(day, now, SNAPSHOT_GRACE)

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        if not self.servable_days(window, now):
            return []
        return [HttpRequest("GET", f"{API}/get_book_summary_by_instrument", {"instrument_name": INSTRUMENT})]

    def partition_times(self, frame):
        import pandas as pd

        return pd.to_datetime(frame["ts"]) - SNAPSHOT_GRACE

    def parse(self, body: bytes) -> list[Row]:
        records, envelope = self.result(body, "book summaries")
        fallback = envelope.get("usOut")  # server time (µs): the snapshot instant if a row lacks its own
        rows = []
        for i, rec in enumerate(records):
            where = f" in book summary {i}"
            ts = field(self, rec, "creation_timestamp", lambda v: from_ms(v, floor_to_second=False),
                       where=where, optional=True)
            if ts is None:
                if fallback is None:
                    raise self.parse_error(f"no 'creation_timestamp'{where} and no 'usOut' in the envelope")
                ts = field(self, envelope, "usOut", lambda v: from_ms(integer(v) // 1000, floor_to_second=False))
            rows.append({
                "instrument_name": self.instrument(rec, "instrument_name", INSTRUMENT, where=where, optional=True),
                "ts": ts,
                "oi_usd": field(self, rec, "open_interest", number, where=where),
                "mark_price": field(self, rec, "mark_price", number, where=where, optional=True),
            })
        return rows


DATASETS: dict[str, Dataset] = {d.name: d for d in (Funding(), OpenInterest())}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

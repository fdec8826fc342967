"""Binance USDT-M futures (funding, open interest) and spot klines for BTCUSDT.

Shapes follow ``shared/design/sources.md``: numbers arrive as strings, ``fundingTime`` may carry +1 ms
(floored to the second here), open-interest history is served for the last 30 days only, so older days
come from the daily metrics archive (zip of CSV, 5-minute rows, early files repeat rows). Binance
answers errors as ``{"code": <negative int>, "msg": ...}``, sometimes with HTTP 200.

What is asked for is checked against what the payload shows: a kline's open and close times must make a bar of
the interval asked for (close = open + interval - 1 ms, open on the interval's grid, each bar after the one
before), an ``openInterestHist`` page's stamps must be buckets of the period asked for (the answer does not name
its period), a metrics archive must hold the day and symbol its name says, and every API row must lie within
the request's ``startTime``..``endTime``. A saved payload parsed by hand (the CLI) is checked against the
dataset's configured interval and period, the ones every request asks for. What a payload cannot show:
klines never name their symbol, so the request's ``BTCUSDT`` is trusted (funding, OI-history and archive rows
echo it and are checked).
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from typing import Any, Mapping

from orchestration.feeds.base import (Dataset, Row, Window, check_range, check_spacing, cli, field, from_ms, integer,
                                      load_json, ms_text, number, require_list, span_text, to_ms, utc_time, utc_today,
                                      zip_text)
from orchestration.feeds.http import FeedHttpError, FeedParseError, HttpRequest, HttpResponse, ProviderSpec

SYMBOL = "BTCUSDT"
FAPI = "https://fapi.binance.com"
SPOT_API = "https://api.binance.com"
ARCHIVE = "https://data.binance.vision"
# 500 requests / 5 min / IP on the futures data endpoints: stay a little under it.
PROVIDER = ProviderSpec("binance", requests_per_second=1.5)
OI_API_HISTORY_DAYS = 30  # /futures/data/openInterestHist serves the last 30 days only


class BinanceDataset(Dataset):
    provider = PROVIDER

    def provider_error(self, payload: Any) -> str | None:
        if isinstance(payload, dict) and "code" in payload and "msg" in payload:
            return f"error {payload['code']}: {payload['msg']}"
        return None


class Funding(BinanceDataset):
    """``/fapi/v1/fundingRate``: settled funding, ascending, up to 1000 rows a page."""

    name = "funding"
    time_column = "funding_time"
    columns = {"symbol": "VARCHAR", "funding_time": "TIMESTAMP", "funding_rate": "DOUBLE",
               "mark_price": "DOUBLE"}
    nullable = frozenset({"mark_price"})
    limit = 1000

    def _request(self, start_ms: int, window: Window) -> HttpRequest:
        return HttpRequest("GET", f"{FAPI}/fapi/v1/fundingRate",
                           {"symbol": SYMBOL, "startTime": str(start_ms), "endTime": str(window.end_ms - 1),
                            "limit": str(self.limit)})

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        return [self._request(window.start_ms, window)]

    def next_request(self, request, rows, window):
        start = int(request.params["startTime"])  # rows hold the floored stamp: at most 999 ms before the raw one
        check_range(self, [r["funding_time"] for r in rows], start // 1000 * 1000, int(request.params["endTime"]),
                    "startTime..endTime", "funding row")
        if len(rows) < self.limit:
            return None
        # resume after the last raw stamp; rows hold the floored time, raw stamps are at most +999 ms
        return self._request(to_ms(rows[-1]["funding_time"]) + 1000, window)

    def parse(self, body: bytes) -> list[Row]:
        rows = []
        for i, rec in enumerate(require_list(self, load_json(self, body), "funding rows")):
            where = f" in row {i}"
            rows.append({
                "symbol": self.instrument(rec, "symbol", SYMBOL, where=where),
                "funding_time": field(self, rec, "fundingTime", from_ms, where=where),
                "funding_rate": field(self, rec, "fundingRate", number, where=where),
                "mark_price": field(self, rec, "markPrice", number, where=where, optional=True),
            })
        return rows


class OpenInterest(BinanceDataset):
    """Hourly OI from ``openInterestHist`` for the last 30 days; older days from the metrics archive.

    API rows carry the bucket start in ``timestamp`` and the value at the bucket's right edge; archive
    rows carry the snapshot instant in ``create_time``. Both land as-is (with ``period`` and ``source``)
    and staging puts them on one clock. A row's partition is the day of the instant it describes, so a
    day's API rows are the buckets starting 23:00 the day before through 22:00 that day.

    API rows do not name their period: their stamps must be hourly buckets on the hour (5-minute or daily
    buckets are refused). An archive's rows must lie in the day its file names (00:00 .. the next midnight);
    their 5-minute cadence is the archive's documented one and is not checked (real files' exact stamps are
    [unverified]).
    """

    name = "open_interest"
    time_column = "ts"
    columns = {"symbol": "VARCHAR", "ts": "TIMESTAMP", "period": "VARCHAR", "sum_open_interest": "DOUBLE",
               "sum_open_interest_value": "DOUBLE", "source": "VARCHAR"}
    payload_extension = "bin"  # JSON pages and zip archives
    ARCHIVE_COLUMNS = ("create_time", "symbol", "sum_open_interest", "sum_open_interest_value")
    limit = 500
    period = "1h"

    def api_cutoff(self, now: datetime) -> date:
        """First day the API still serves in full, with a day's margin (older days come from the archive).

        A day's first bucket starts at 23:00 the day before, and the API refuses a startTime older than
        ``now - 30 d``, whatever the time of day ``now`` is.
        """
        return utc_today(now) - timedelta(days=OI_API_HISTORY_DAYS - 2)

    PERIOD_MS = 3_600_000

    def _api_request(self, start_ms: int, end_ms: int) -> HttpRequest:
        """Buckets whose right edge (the instant they describe) lies in [start_ms, end_ms)."""
        return HttpRequest("GET", f"{FAPI}/futures/data/openInterestHist",
                           {"symbol": SYMBOL, "period": self.period, "startTime": str(start_ms - self.PERIOD_MS),
                            "endTime": str(end_ms - self.PERIOD_MS - 1), "limit": str(self.limit)})

    def partition_times(self, frame):
        import pandas as pd

        shift = pd.to_timedelta((frame["source"] == "api").astype(int) * self.PERIOD_MS, unit="ms")
        return pd.to_datetime(frame["ts"]) + shift

    @staticmethod
    def archive_url(day: date) -> str:
        return (f"{ARCHIVE}/data/futures/um/daily/metrics/{SYMBOL}/"
                f"{SYMBOL}-metrics-{day.isoformat()}.zip")

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        cutoff = self.api_cutoff(now)
        plan = [HttpRequest("GET", self.archive_url(day)) for day in window.days() if day < cutoff]
        if window.end >= cutoff:
            api = Window(max(window.start, cutoff), window.end)
            plan.append(self._api_request(api.start_ms, api.end_ms))
        return plan

    def next_request(self, request, rows, window):
        if request.url.startswith(ARCHIVE):
            day = re.search(r"-metrics-(\d{4}-\d{2}-\d{2})\.zip$", request.url)
            if day:
                self._check_archive_day(rows, date.fromisoformat(day.group(1)), "the request's URL names")
            return None
        check_range(self, [r["ts"] for r in rows], int(request.params["startTime"]), int(request.params["endTime"]),
                    "startTime..endTime", "open-interest bucket")
        if len(rows) < self.limit:
            return None
        last_edge = to_ms(rows[-1]["ts"]) + self.PERIOD_MS
        return self._api_request(last_edge + 1000, int(request.params["endTime"]) + 1 + self.PERIOD_MS)

    def check(self, request: HttpRequest, response: HttpResponse) -> None:
        """A 404 from the archive means the day's file is not (yet) there, not a broken request."""
        if request.url.startswith(ARCHIVE) and response.status == 404:
            raise FeedHttpError(self.provider.name, f"no metrics archive at {request.url} (404): Binance "
                                "has not published that day yet, or it predates the archive", dataset=self.name)
        super().check(request, response)

    def parse(self, body: bytes) -> list[Row]:
        if body[:2] == b"PK":
            return self._parse_archive(body)
        try:
            payload = load_json(self, body)
        except FeedParseError as exc:
            raise self.parse_error(f"payload is neither a metrics zip archive (starts with 'PK') nor a JSON page "
                                   f"of openInterestHist: {exc.detail}") from exc
        return self._parse_api(payload)

    def _parse_api(self, payload: Any) -> list[Row]:
        rows = []
        for i, rec in enumerate(require_list(self, payload, "open interest rows")):
            where = f" in row {i}"
            rows.append({
                "symbol": self.instrument(rec, "symbol", SYMBOL, where=where),
                "ts": field(self, rec, "timestamp", from_ms, where=where),
                "period": self.period,
                "sum_open_interest": field(self, rec, "sumOpenInterest", number, where=where),
                "sum_open_interest_value": field(self, rec, "sumOpenInterestValue", number, where=where),
                "source": "api",
            })
        check_spacing(self, [r["ts"] for r in rows], self.PERIOD_MS, self.period, what="open-interest buckets")
        return rows

    def _check_archive_day(self, rows: list[Row], day: date, named: str) -> None:
        """A metrics file holds the snapshots of its day, from 00:00 (or 00:05) to the next midnight."""
        first = datetime.combine(day, datetime.min.time())
        for row in rows:
            if not first <= row["ts"] <= first + timedelta(days=1):
                raise self.parse_error(f"archive row at {row['ts']} lies outside {day}, the day {named}: the file "
                                       "is not the day asked for")

    def _parse_archive(self, body: bytes) -> list[Row]:
        name, text = zip_text(self, body, ".csv")
        named = re.fullmatch(r"(?:.*/)?([A-Z0-9]+)-metrics-(\d{4}-\d{2}-\d{2})\.csv", name)
        if named and named.group(1) != SYMBOL:
            raise self.parse_error(f"archive member {name!r} is for symbol {named.group(1)!r}, not {SYMBOL!r}: "
                                   "refusing to land another instrument")
        reader = csv.reader(io.StringIO(text))
        header = next(reader, [])
        missing = set(self.ARCHIVE_COLUMNS) - set(header)
        if missing:
            raise self.parse_error(f"metrics CSV lacks columns {sorted(missing)}; header is {header or None}")
        at = {name: header.index(name) for name in ("symbol", "create_time", "sum_open_interest",
                                                    "sum_open_interest_value")}
        seen: dict[datetime, Row] = {}
        for line, values in enumerate((values for values in reader if values), start=2):  # blank lines skipped
            checked = len(values) == len(header)
            try:  # fast path; on any doubt, the checked path below names the field and the line
                row = {"symbol": values[at["symbol"]], "ts": datetime.fromisoformat(values[at["create_time"]]),
                       "period": "5m", "sum_open_interest": number(values[at["sum_open_interest"]]),
                       "sum_open_interest_value": number(values[at["sum_open_interest_value"]]), "source": "archive"}
                checked = checked and row["symbol"] == SYMBOL and row["ts"].tzinfo is None \
                    and len(values[at["create_time"]]) == 19
            except (IndexError, TypeError, ValueError):
                checked = False
            if not checked:
                rec = dict(zip(header, values)) if len(values) >= len(header) else \
                    {name: values[i] if i < len(values) else None for i, name in enumerate(header)}
                where = f" on CSV line {line}"
                row = {"symbol": self.instrument(rec, "symbol", SYMBOL, where=where),
                       "ts": field(self, rec, "create_time", utc_time, where=where), "period": "5m",
                       "sum_open_interest": field(self, rec, "sum_open_interest", number, where=where),
                       "sum_open_interest_value": field(self, rec, "sum_open_interest_value", number, where=where),
                       "source": "archive"}
            self.keep_once(seen, row["ts"], row, f" on CSV line {line}")  # early files repeat rows
        rows = list(seen.values())
        if named:
            try:
                day = date.fromisoformat(named.group(2))
            except ValueError as exc:
                raise self.parse_error(f"archive member {name!r} names no calendar day: {exc}") from exc
            self._check_archive_day(rows, day, f"its member {name!r} names")
        return rows


#: Binance kline intervals in milliseconds (1M, a calendar month, is not asked for)
INTERVAL_MS = {name: int(name[:-1]) * {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}[name[-1]]
               for name in ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w")}


class SpotKlines(BinanceDataset):
    """Spot ``/api/v3/klines`` at 1 h: price and volume for the price layer, up to 1000 rows a page.

    A kline is ``[open time, open, high, low, close, volume, close time, quote volume, trades, taker buy base,
    taker buy quote, ignore]``; it names no interval, but its times are its interval (close = open + interval
    - 1 ms), so a payload of other bars (1-minute klines saved elsewhere) is refused, not landed as hourly rows.
    Binance leaves out bars it did not trade (maintenance): a page may skip whole intervals, never hold a bar
    off the grid, twice or out of order. The answer does not name its symbol: the request's is trusted."""

    name = "spot_klines"
    time_column = "open_time"
    columns = {"symbol": "VARCHAR", "interval": "VARCHAR", "open_time": "TIMESTAMP", "close_time": "TIMESTAMP",
               "open": "DOUBLE", "high": "DOUBLE", "low": "DOUBLE", "close": "DOUBLE", "volume": "DOUBLE",
               "quote_volume": "DOUBLE", "trades": "BIGINT", "taker_buy_base": "DOUBLE",
               "taker_buy_quote": "DOUBLE"}
    nullable = frozenset({"quote_volume", "trades", "taker_buy_base", "taker_buy_quote"})
    limit = 1000
    interval = "1h"
    _fields = ("open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "trades",
               "taker_buy_base", "taker_buy_quote")
    # null where a recorded history kept OHLCV only (never filled in): the models read OHLC and base volume
    _optional = ("quote_volume", "trades", "taker_buy_base", "taker_buy_quote")

    def _request(self, start_ms: int, end_ms: int) -> HttpRequest:
        return HttpRequest("GET", f"{SPOT_API}/api/v3/klines",
                           {"symbol": SYMBOL, "interval": self.interval, "startTime": str(start_ms),
                            "endTime": str(end_ms - 1), "limit": str(self.limit)})

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        return [self._request(window.start_ms, window.end_ms)]

    def next_request(self, request, rows, window):
        check_range(self, [r["open_time"] for r in rows], int(request.params["startTime"]),
                    int(request.params["endTime"]), "startTime..endTime", "kline")
        if len(rows) < self.limit:
            return None
        return self._request(to_ms(rows[-1]["open_time"]) + 1000, window.end_ms)

    def parse(self, body: bytes) -> list[Row]:
        rows: list[Row] = []
        previous: int | None = None  # the close time of the kline before
        for i, rec in enumerate(require_list(self, load_json(self, body), "klines")):
            if not isinstance(rec, list) or len(rec) < len(self._fields):
                raise self.parse_error(f"kline {i} should be an array of >= 11 values, got {rec!r:.120}")
            named = dict(zip(self._fields, rec))
            where = f" in kline {i}"
            row: Row = {"symbol": SYMBOL, "interval": self.interval}
            for name in self._fields:
                convert = from_ms if name.endswith("_time") else integer if name == "trades" else number
                row[name] = field(self, named, name, convert, where=where, optional=name in self._optional)
            previous = self.check_interval(named, where, previous)
            rows.append(row)
        return rows

    def check_interval(self, kline: Mapping[str, Any], where: str, previous: int | None = None) -> int:
        """A kline carries no interval label, but its open and close times are its interval: the close must be
        the open + the interval asked for - 1 ms, the open on the interval's grid (1-minute bars, whose times are
        59.999 s apart, must never land as hourly ones) and after ``previous``, the close of the bar before
        (consecutive bars are a whole number of intervals apart, ascending). Returns this bar's close."""
        step = INTERVAL_MS[self.interval]
        opened, closed = field(self, kline, "open_time", integer, where=where), field(
            self, kline, "close_time", integer, where=where)
        span = closed - opened + 1
        if span <= 0:
            raise self.parse_error(f"the bar{where} closes ({ms_text(closed)}) before it opens ({ms_text(opened)})")
        if span != step:
            seen = next((name for name, ms in INTERVAL_MS.items() if ms == span), span_text(span))
            raise self.parse_error(f"the bar{where} is {seen} long (open {opened} = {ms_text(opened)}, close "
                                   f"{closed} = {ms_text(closed)}): bars are {seen} apart, not the {self.interval} "
                                   "asked for")
        if opened % step:
            raise self.parse_error(f"the bar{where} opens at {opened} ({ms_text(opened)}), off the {self.interval} "
                                   f"grid (a multiple of {step} ms)")
        if previous is not None and opened <= previous:
            raise self.parse_error(f"the bar{where} opens at {ms_text(opened)}, not after the previous bar's close "
                                   f"({ms_text(previous)}): bars repeated, overlapping or out of order, not "
                                   f"consecutive {self.interval} bars")
        return closed


DATASETS: dict[str, Dataset] = {d.name: d for d in (Funding(), OpenInterest(), SpotKlines())}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

"""What every connector shares: the dataset contract, the pagination loop, payload parsing helpers and
the ``python -m orchestration.feeds.<provider> <dataset> <file>`` debugging entry point.

A connector describes a dataset with pure functions (which requests cover a window, how to read one
response, which request comes next); :func:`fetch` runs them through a :class:`FeedClient` and hands every
response to a callback *before* parsing it, so a payload that fails to parse is already kept verbatim.
"""
from __future__ import annotations

import csv
import json
import math
import re
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from orchestration.feeds.http import FeedClient, FeedHttpError, FeedParseError, HttpRequest, HttpResponse, ProviderSpec

Row = dict[str, Any]


@dataclass(frozen=True)
class Window:
    """An inclusive range of UTC days: the partitions one landing run covers."""

    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"window end {self.end} is before its start {self.start}")

    @property
    def start_dt(self) -> datetime:
        return datetime.combine(self.start, time(), tzinfo=timezone.utc)

    @property
    def end_dt(self) -> datetime:
        """Exclusive end: midnight after the last day."""
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=timezone.utc)

    @property
    def start_ms(self) -> int:
        return to_ms(self.start_dt)

    @property
    def end_ms(self) -> int:
        return to_ms(self.end_dt)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}..{self.end}"


@dataclass(frozen=True)
class Page:
    """One request/response exchange, as landing stores it."""

    dataset: str
    index: int
    request: HttpRequest
    response: HttpResponse


class Dataset(ABC):
    """One provider dataset: how to request a window of it and how to read its payloads."""

    provider: ProviderSpec
    name: str
    #: typed raw-table columns (name -> DuckDB type), excluding partition_date and payload_sha256
    columns: Mapping[str, str]
    #: the column whose UTC date is the row's partition
    time_column: str
    #: file extension for stored payloads
    payload_extension: str = "json"
    #: False for feeds that do not publish every day (e.g. weekly CFTC reports): no rows is then no error
    rows_every_day: bool = True
    #: days read (and re-landed) before a window's start, so that a weekly feed's report in force on the
    #: window's first day is known (the CFTC report of a Tuesday two weeks back may still be the latest out)
    lookback_days: int = 0

    def servable(self, day: date, now: datetime) -> bool:
        """Whether the provider can still (or already) serve ``day`` as of ``now``.

        Providers keep limited history (OKX hourly OI ~30 days, Deribit OI only "now", dYdX v4 since its
        launch): days they cannot serve are recorded as unavailable, not failed, and lower the mart's
        completeness. ``requests`` must plan only servable days.
        """
        return True

    def servable_days(self, window: Window, now: datetime) -> list[date]:
        return [day for day in window.days() if self.servable(day, now)]

    def fetch_window(self, window: Window) -> Window:
        """The window actually read for ``window``: ``lookback_days`` earlier for weekly feeds."""
        return Window(window.start - timedelta(days=self.lookback_days), window.end) if self.lookback_days else window

    @abstractmethod
    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        """The first request of each page chain covering ``window`` (as of ``now``)."""

    def next_request(self, request: HttpRequest, rows: list[Row], window: Window) -> HttpRequest | None:
        """The request for the next page, or None when ``request`` was the last one."""
        return None

    def check(self, request: HttpRequest, response: HttpResponse) -> None:
        """Raise ``FeedHttpError`` if the response is an error (status or provider error body)."""
        if response.status >= 400:
            raise FeedHttpError(self.provider.name, f"HTTP {response.status} on {request.path}: "
                                f"{response.text()[:300]}", dataset=self.name)

    @abstractmethod
    def parse(self, body: bytes) -> list[Row]:
        """Typed rows from one payload; raise ``FeedParseError`` naming what is wrong."""

    def partition_times(self, frame):
        """The instant each row describes (its UTC date is the row's partition); a pandas Series."""
        return frame[self.time_column]

    # helpers for subclasses -------------------------------------------------------------------
    def parse_error(self, message: str) -> FeedParseError:
        return FeedParseError(self.provider.name, message, dataset=self.name)


def fetch(client: FeedClient, dataset: Dataset, window: Window, now: datetime,
          on_page: Callable[[Page], None] = lambda page: None) -> list[tuple[Page, list[Row]]]:
    """Follow every page chain for ``window``; each response goes to ``on_page`` before it is parsed."""
    pages: list[tuple[Page, list[Row]]] = []
    for request in dataset.requests(window, now):
        while request is not None:
            page = Page(dataset.name, len(pages) + 1, request, client.send(request))
            on_page(page)
            dataset.check(request, page.response)
            rows = dataset.parse(page.response.body)
            pages.append((page, rows))
            request = dataset.next_request(request, rows, window)
    return pages


# --- payload helpers ------------------------------------------------------------------------------

def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(value: Any, *, floor_to_second: bool = True) -> datetime:
    """UTC (naive) datetime from epoch milliseconds; Binance stamps may carry +1 ms, so floor."""
    ms = int(value)
    if floor_to_second:
        ms -= ms % 1000
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).replace(tzinfo=None)


def load_json(dataset: Dataset, body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        snippet = body[:80].decode("utf-8", errors="replace")
        raise dataset.parse_error(f"payload is not JSON ({exc}); starts with {snippet!r}") from exc


def field(dataset: Dataset, record: Mapping[str, Any], name: str, convert: Callable[[Any], Any],
          *, where: str = "", optional: bool = False) -> Any:
    """``convert(record[name])`` with an error that names the field, the record and the value."""
    if type(record) is not dict and not isinstance(record, Mapping):
        raise dataset.parse_error(f"expected an object{where}, got {type(record).__name__}: {record!r:.80}")
    if name not in record or record[name] in (None, ""):
        if optional:
            return None
        raise dataset.parse_error(f"missing field {name!r}{where}: {dict(record)!r:.160}")
    try:
        value = convert(record[name])
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise dataset.parse_error(f"field {name!r}{where} has unreadable value {record[name]!r}") from exc
    if isinstance(value, float) and not math.isfinite(value):
        raise dataset.parse_error(f"field {name!r}{where} is not finite: {record[name]!r}")
    return value


# Strict value readers for ``field``: they refuse what they cannot read exactly (a bool is no number, a
# fraction is no whole number, text like "1_000" or "nan" is neither), so no connector coerces silently.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")


def number(value: Any) -> float:
    """A JSON number or a numeric string as float; bools, empty and non-numeric strings are refused."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value)
    raise ValueError(f"not a number: {value!r}")


def integer(value: Any) -> int:
    """A whole number (JSON integer, integral float or digit string); a fraction is refused, not truncated."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise ValueError(f"not a whole number: {value!r}")


def looks_html(body: bytes) -> bool:
    """An HTML page where JSON was expected (an error page, a Cloudflare challenge)."""
    head = body[:512].lstrip().lower()
    return head.startswith(b"<!doctype html") or head.startswith(b"<html") or b"<head" in head[:200]


def html_summary(body: bytes) -> str:
    """What an HTML answer is, in one line: its title, and a hint when it is a Cloudflare challenge."""
    text = body[:4000].decode("utf-8", errors="replace")
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    hint = " (Cloudflare challenge?)" if "cloudflare" in text.lower() or "cf-" in text.lower() else ""
    shown = " ".join(title.group(1).split())[:120] if title else text.strip()[:80]
    return f"an HTML page, not JSON{hint}: {shown!r}"


def require_list(dataset: Dataset, payload: Any, what: str) -> list:
    if not isinstance(payload, list):
        raise dataset.parse_error(f"expected {what} as a JSON list, got {type(payload).__name__}: {payload!r:.160}")
    return payload


# --- command line ---------------------------------------------------------------------------------

def write_csv(rows: Sequence[Row], columns: Iterable[str], out=None) -> None:
    out = out or sys.stdout
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (v.isoformat(sep=" ") if isinstance(v, datetime) else v) for k, v in row.items()})


def cli(datasets: Mapping[str, Dataset], argv: Sequence[str] | None = None) -> int:
    """Parse a saved payload and print its rows as CSV: for debugging a provider's response by hand."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in datasets:
        print(f"usage: python -m <connector> {{{'|'.join(datasets)}}} <payload-file>", file=sys.stderr)
        return 2
    dataset = datasets[args[0]]
    try:
        rows = dataset.parse(Path(args[1]).read_bytes())
    except (OSError, FeedParseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    write_csv(rows, dataset.columns)
    return 0

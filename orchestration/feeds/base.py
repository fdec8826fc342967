"""What every connector shares: the dataset contract, the pagination loop, payload parsing helpers and
the ``python -m orchestration.feeds.<provider> <dataset> <file>`` debugging entry point.

A connector describes a dataset with pure functions (which requests cover a window, how to read one
response, which request comes next); :func:`fetch` runs them through a :class:`FeedClient` and hands every
response to a callback *before* parsing it, so a payload that fails to parse is already kept verbatim.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
import zipfile
import zlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from orchestration.days import Window  # noqa: F401  (the one range-of-days type, re-exported: connectors import it here)
from orchestration.feeds.http import FeedClient, FeedHttpError, FeedParseError, HttpRequest, HttpResponse, ProviderSpec

Row = dict[str, Any]


def day_runs(days: Iterable[date], max_days: int | None = None) -> list[Window]:
    """Runs of consecutive days among sorted ``days``, each cut to at most ``max_days`` days (a provider's
    limit per request); ``None``: uncut."""
    out: list[Window] = []
    for day in days:
        last = out[-1] if out else None
        if (last is not None and day - last.end == timedelta(days=1)
                and (max_days is None or (day - last.start).days < max_days)):
            out[-1] = Window(last.start, day)
        else:
            out.append(Window(day, day))
    return out


class PageRows(list):
    """Rows of one page plus the page's opaque cursor: ``fetch`` hands the parsed rows to ``next_request``,
    the only place that needs the cursor ("" when the provider said there is no next page)."""

    cursor: str = ""


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
    #: the columns the provider may leave empty; every other column is required (the raw gate blocks a null)
    nullable: frozenset[str] = frozenset()
    #: the column whose UTC date is the row's partition
    time_column: str
    #: file extension for stored payloads
    payload_extension: str = "json"
    #: False for feeds that do not publish every day (e.g. weekly CFTC reports): no rows is then no error
    rows_every_day: bool = True
    #: days read (and re-landed) before a window's start, so that a weekly feed's report in force on the
    #: window's first day is known (the CFTC report of a Tuesday two weeks back may still be the latest out)
    lookback_days: int = 0
    #: response headers ``parse_response`` reads besides the body (a snapshot the payload does not stamp is
    #: dated by the response's ``Date``): landing keeps them beside the verbatim payload (:func:`headers_file`)
    kept_headers: tuple[str, ...] = ()

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
        """Raise ``FeedHttpError`` for HTTP >= 400 or the provider's error envelope (``provider_error``; several
        providers answer errors with HTTP 200), in one shape: ``HTTP <status> on <path>: <what> (<hint>)``, where
        <what> is the provider's own words, else the HTML page's title or the start of the body."""
        message = self.provider_error(response.json_object())
        if message is None and response.status < 400:
            return  # a body that is no envelope is parse()'s to name
        if message is None:
            message = (html_summary(response.body, "an HTML page, not JSON" if self.payload_extension == "json"
                                    else "an HTML error page") if looks_html(response.body)
                       else repr(response.text()[:300].strip()))
        hint = self.hint(response)
        raise FeedHttpError(self.provider.name, self.redact(f"HTTP {response.status} on {request.path}: {message}"
                                                            + (f" ({hint})" if hint else "")), dataset=self.name)

    def hint(self, response: HttpResponse) -> str:
        """What to do about an error answer (set a key, check the plan, wait), or ""."""
        return ""

    def redact(self, message: str) -> str:
        """``message`` without secrets the client cannot know of (it redacts the key values it sends)."""
        return message

    @abstractmethod
    def parse(self, body: bytes) -> list[Row]:
        """Typed rows from one payload; raise ``FeedParseError`` naming what is wrong."""

    def parse_response(self, response: HttpResponse) -> list[Row]:
        """Typed rows from one response: by default its body alone (``parse``). A dataset that needs what only the
        response carries (a header named in ``kept_headers``) overrides this; ``fetch`` and the CLI call it."""
        return self.parse(response.body)

    def partition_times(self, frame):
        """The instant each row describes (its UTC date is the row's partition); a pandas Series."""
        return frame[self.time_column]

    def provider_error(self, payload: Any) -> str | None:
        """The provider's own error message if ``payload`` is its error envelope, else None.

        ``check`` reports such an answer, whatever its status, as an HTTP-level failure; ``require_list`` (and
        each connector's envelope reader) uses the same hook so that a saved error payload parsed by hand is named
        by the provider's words, not as "expected a list"."""
        return None

    # helpers for subclasses -------------------------------------------------------------------
    def parse_error(self, message: str) -> FeedParseError:
        return FeedParseError(self.provider.name, message, dataset=self.name)

    def refuse_provider_error(self, payload: Any) -> None:
        message = self.provider_error(payload)
        if message is not None:
            raise self.parse_error(f"the payload is {self.provider.name}'s error answer: {message}")

    def keep_once(self, rows: dict, key: Any, row: Row, where: str = "") -> None:
        """Keep ``row`` under ``key`` in ``rows``: a payload may repeat a row (early Binance archives do), but two
        different rows for one key are a broken payload, refused."""
        earlier = rows.get(key)
        if earlier is not None and earlier != row:
            raise self.parse_error(f"conflicting rows for {key}{where}")
        rows[key] = row

    def instrument(self, record: Mapping[str, Any], name: str, expected: str | Iterable[str], *,
                   where: str = "", optional: bool = False) -> str:
        """The instrument a record names, which must be one this dataset asked for (a payload for another
        symbol must never land as ours); ``optional``: a record that does not echo it is taken as ours."""
        wanted = (expected,) if isinstance(expected, str) else tuple(expected)
        got = field(self, record, name, text, where=where, optional=optional)
        if got is None:
            return wanted[0]
        if got not in wanted:
            raise self.parse_error(f"payload is for {name} {got!r}{where}, not {' or '.join(map(repr, wanted))}: "
                                   "refusing to land another instrument")
        return got


class DailySeries(Dataset):
    """A provider's daily series from ``first_day``, one value per UTC day stamped at its 00:00 UTC: a day is
    served once it has ended. Its error envelope (``provider_error``) is by default a JSON object with
    ``error`` or ``message``."""

    first_day: date

    def servable(self, day: date, now: datetime) -> bool:
        return self.first_day <= day < utc_today(now)

    def provider_error(self, payload: Any) -> str | None:
        if isinstance(payload, dict) and ("error" in payload or "message" in payload):
            return repr(payload.get("error") or payload.get("message"))
        return None


def fetch(client: FeedClient, dataset: Dataset, window: Window, now: datetime,
          on_page: Callable[[Page], None] = lambda page: None) -> list[tuple[Page, list[Row]]]:
    """Follow every page chain for ``window``; each response goes to ``on_page`` before it is parsed."""
    pages: list[tuple[Page, list[Row]]] = []
    for request in dataset.requests(window, now):
        while request is not None:
            page = Page(dataset.name, len(pages) + 1, request, client.send(request))
            on_page(page)
            dataset.check(request, page.response)
            rows = dataset.parse_response(page.response)
            pages.append((page, rows))
            request = dataset.next_request(request, rows, window)
    return pages


# --- payload helpers ------------------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1)
#: plausible epochs (2009-01-01 .. 2100-01-01) in seconds and milliseconds: a stamp in the wrong unit is
#: 1000x off and falls outside its range, so it is refused instead of landing in 1970 or in the year 50000
S_RANGE = (1_230_768_000, 4_102_444_800)
MS_RANGE = (S_RANGE[0] * 1000, S_RANGE[1] * 1000)


def _epoch_unit(value: int) -> str:
    """What a refused epoch would read as, e.g. "seconds: 2024-03-01 00:00:00 UTC"."""
    for unit, (lo, hi), scale in (("seconds", S_RANGE, 1), ("milliseconds", MS_RANGE, 1000),
                                  ("microseconds", (MS_RANGE[0] * 1000, MS_RANGE[1] * 1000), 1_000_000)):
        if lo <= value < hi:
            return f"{unit}: {EPOCH + timedelta(seconds=value // scale):%Y-%m-%d %H:%M:%S} UTC"
    return "no plausible unit"


def epoch_ms(value: Any) -> datetime:
    """UTC (naive) datetime from whole epoch milliseconds in 2009..2100; seconds, fractions, bools refused."""
    ms = integer(value)
    if not MS_RANGE[0] <= ms < MS_RANGE[1]:
        raise ValueError(f"{ms} is not epoch milliseconds in 2009..2100 (it reads as {_epoch_unit(ms)})")
    return EPOCH + timedelta(milliseconds=ms)


def epoch_s(value: Any) -> datetime:
    """UTC (naive) datetime from whole epoch seconds in 2009..2100; milliseconds, fractions, bools refused."""
    s = integer(value)
    if not S_RANGE[0] <= s < S_RANGE[1]:
        raise ValueError(f"{s} is not epoch seconds in 2009..2100 (it reads as {_epoch_unit(s)})")
    return EPOCH + timedelta(seconds=s)


def from_ms(value: Any, *, floor_to_second: bool = True) -> datetime:
    """:func:`epoch_ms`, floored to the second: Binance stamps may carry +1 ms."""
    moment = epoch_ms(value)
    return moment.replace(microsecond=0) if floor_to_second else moment


def utc(moment: datetime) -> datetime:
    """``moment`` as tz-aware UTC; a naive datetime (as rows hold them) is UTC already."""
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def utc_today(now: datetime) -> date:
    """The UTC date of ``now`` (naive: UTC): the day a provider is still serving."""
    return utc(now).date()


def just_ended(day: date, now: datetime, grace: timedelta) -> bool:
    """Whether ``now`` lies within ``grace`` after ``day`` ended: when an endpoint that serves only the state
    of "now" (a snapshot) can stand for the day's close."""
    end = Window(day, day).end_dt
    return end <= utc(now) < end + grace


def to_ms(moment: datetime) -> int:
    """Exact epoch milliseconds of ``moment`` (naive: UTC), in integers: no float error can move a whole
    millisecond, and a sub-millisecond remainder (a live ``now``) floors to the millisecond already begun."""
    return (utc(moment).replace(tzinfo=None) - EPOCH) // timedelta(milliseconds=1)


def ms_time(ms: int) -> datetime:
    """The UTC (naive) instant of epoch milliseconds we computed ourselves (:func:`epoch_ms` reads a payload's)."""
    return EPOCH + timedelta(milliseconds=ms)


def ms_text(ms: int) -> str:
    """Epoch milliseconds as a readable UTC instant, e.g. ``2024-03-01 00:00:59.999``."""
    return ms_time(ms).isoformat(sep=" ", timespec="milliseconds")


_SPANS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000))


def span_text(ms: int) -> str:
    """A duration the way providers name bar intervals: ``1m``, ``5m``, ``1h``, ``8h``, ``1d`` (else ``90s``,
    ``1500ms``)."""
    return next((f"{ms // size}{unit}" for unit, size in _SPANS if ms and ms % size == 0), f"{ms}ms")


def interval_ms(name: str) -> int:
    """The length of an interval named ``<n>s``, ``<n>m`` (minutes), ``<n>h``/``<n>H`` or ``<n>d``/``<n>D``;
    anything else (``1M``, a month, is no fixed length) is a ValueError."""
    match = re.fullmatch(r"([1-9][0-9]*)(s|m|h|H|d|D)", name)
    if not match:
        raise ValueError(f"not an interval of fixed length: {name!r}")
    return int(match.group(1)) * dict(_SPANS)[match.group(2).lower()]


def check_range(dataset: Dataset, stamps: Iterable[datetime], first_ms: int | None, last_ms: int, asked: str,
                what: str = "row") -> None:
    """Every stamp within ``[first_ms, last_ms]`` (inclusive; no lower bound when ``first_ms`` is None), the
    range a request asked for (``asked`` names its parameters): an answer holding rows outside it means the
    provider ignored the range, so paging would not advance or rows of another window would land."""
    for moment in stamps:
        ms = to_ms(moment)
        if ms > last_ms or (first_ms is not None and ms < first_ms):
            bounds = f"at most {ms_text(last_ms)}" if first_ms is None else f"{ms_text(first_ms)} .. {ms_text(last_ms)}"
            raise dataset.parse_error(f"{what} at {ms_text(ms)} lies outside the requested {asked} ({bounds}): "
                                      "the provider ignored the range")


def check_spacing(dataset: Dataset, stamps: Iterable[datetime], step_ms: int, asked: str, *,
                  what: str = "rows", grid: bool = True) -> None:
    """Stamps of bars ``step_ms`` long (``asked``, e.g. "1h"), as the request asked for though the payload does
    not say: distinct stamps a whole number of steps apart, the smallest gap the step itself once a page holds
    three or more (a page of 5-minute or daily rows answering an hourly request is refused, a missing bar is not),
    and with ``grid`` each stamp a multiple of the step from the epoch. A stamp repeated is left to the parser's
    duplicate rules and the raw gates."""
    ms = sorted({to_ms(moment) for moment in stamps})
    gaps = [(b - a, a, b) for a, b in zip(ms, ms[1:])]
    smallest = min(gaps, default=None)
    odd = next((gap for gap in gaps if gap[0] % step_ms), None)
    if odd is None and smallest is not None and len(ms) >= 3 and smallest[0] != step_ms:
        odd = smallest
    if odd is not None:
        gap, a, b = odd
        raise dataset.parse_error(f"{what} are {span_text(gap)} apart ({ms_text(a)} and {ms_text(b)}), not the "
                                  f"{asked} asked for")
    off = next((t for t in ms if t % step_ms), None) if grid else None
    if off is not None:
        raise dataset.parse_error(f"{what}: {ms_text(off)} is off the {asked} grid (not a multiple of {step_ms} ms "
                                  f"from the epoch): not the {asked} series asked for")


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(Z|z|[+-]\d{2}:?\d{2})?")


def utc_time(value: Any) -> datetime:
    """UTC (naive) datetime from an ISO-8601 text stamp: ``Z``, ``+00:00`` or no offset (taken as UTC).

    Providers here stamp UTC; another offset means the payload is not what the connector was written for,
    so it is refused rather than converted (one time zone in every raw table)."""
    if not isinstance(value, str):
        raise TypeError(f"a timestamp should be ISO-8601 text, got {type(value).__name__}")
    stamp = value.strip()
    match = _ISO.fullmatch(stamp)
    if not match:
        raise ValueError(f"not an ISO-8601 timestamp: {value!r}")
    offset = match.group(1)
    if offset and offset not in ("Z", "z") and offset.replace(":", "")[1:] != "0000":
        raise ValueError(f"{value!r} carries the offset {offset}: expected UTC ('Z' or no offset)")
    if offset:
        stamp = stamp[: -len(offset)]
    digits = re.match(r"(.*?\.\d{1,6})\d*$", stamp)  # Python reads at most microseconds
    return plausible_time(datetime.fromisoformat(digits.group(1) if digits else stamp))


def plausible_time(moment: datetime) -> datetime:
    """``moment`` if it lies in 2009..2100 (the range of the epoch readers), else ValueError."""
    if not EPOCH + timedelta(seconds=S_RANGE[0]) <= moment < EPOCH + timedelta(seconds=S_RANGE[1]):
        raise ValueError(f"{moment:%Y-%m-%d %H:%M:%S} is outside 2009..2100")
    return moment


def text(value: Any) -> str:
    """A JSON string, as is: a number or a bool where a symbol or a code belongs is refused."""
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def load_json(dataset: Dataset, body: bytes) -> Any:
    """The JSON document in ``body``; what it is instead (not UTF-8, HTML, too deeply nested, broken JSON)
    is named."""
    if looks_html(body):
        raise dataset.parse_error(f"payload is {html_summary(body)}")
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise dataset.parse_error(f"payload is not UTF-8 text ({exc.reason} at byte {exc.start}); starts with "
                                  f"{body[:40]!r}") from exc
    except RecursionError as exc:
        raise dataset.parse_error("payload nests arrays/objects too deeply to be data "
                                  f"({len(body)} bytes starting {body[:20]!r}): refused") from exc
    except ValueError as exc:
        snippet = body[:80].decode("utf-8", errors="replace")
        what = "empty" if not body.strip() else f"not JSON ({exc}); starts with {snippet!r}"
        raise dataset.parse_error(f"payload is {what}") from exc


def zip_text(dataset: Dataset, body: bytes, suffix: str = ".csv") -> tuple[str, str]:
    """(name, UTF-8 text) of the one ``suffix`` member of a zip archive; a broken archive, corrupt
    compressed data or text that is not UTF-8 is named as such."""
    what = "archive"
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = [n for n in archive.namelist() if n.endswith(suffix)]
            if len(names) != 1:
                raise dataset.parse_error(f"archive should hold one {suffix} file, holds {archive.namelist()}")
            what = f"{names[0]} in the archive"
            return names[0], archive.read(names[0]).decode("utf-8")
    except zipfile.BadZipFile as exc:
        raise dataset.parse_error(f"{what} is not a readable zip: {exc}") from exc
    except (zlib.error, EOFError) as exc:
        raise dataset.parse_error(f"{what} has corrupt compressed data ({type(exc).__name__}: {exc})") from exc
    except UnicodeDecodeError as exc:
        raise dataset.parse_error(f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except NotImplementedError as exc:
        raise dataset.parse_error(f"{what} uses a compression this reader lacks: {exc}") from exc


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
        raise dataset.parse_error(f"field {name!r}{where} has unreadable value {record[name]!r:.80}: {exc}") from exc
    if isinstance(value, float) and not math.isfinite(value):
        raise dataset.parse_error(f"field {name!r}{where} is not finite: {record[name]!r}")
    return value


# Strict value readers for ``field``: they refuse what they cannot read exactly (a bool is no number, a
# fraction is no whole number, text like "1_000" or "nan" is neither), so no connector coerces silently.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")


def number(value: Any) -> float:
    """A finite JSON number or numeric string as float; bools, NaN/inf, overflow, empty and other text refused."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.fullmatch(value.strip())):
        result = float(value)
        if not math.isfinite(result):
            raise ValueError(f"not finite (overflows a double): {value!r:.40}")
        return result
    if isinstance(value, str) and value.strip().lstrip("+-").lower() in ("nan", "inf", "infinity"):
        raise ValueError(f"not finite: {value!r}")
    raise ValueError(f"not a number: {value!r:.40}")


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


def html_summary(body: bytes, what: str = "an HTML page, not JSON") -> str:
    """What an HTML answer is, in one line: its title, and a hint when it is a Cloudflare challenge."""
    text = body[:4000].decode("utf-8", errors="replace")
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    hint = " (Cloudflare challenge?)" if "cloudflare" in text.lower() or "cf-" in text.lower() else ""
    shown = " ".join(title.group(1).split())[:120] if title else text.strip()[:80]
    return f"{what}{hint}: {shown!r}"


def headers_file(payload: Path) -> Path:
    """Where the response headers a dataset keeps (``Dataset.kept_headers``) are stored beside its payload, as JSON."""
    return payload.with_name(payload.name + ".headers")


def kept_headers(dataset: Dataset, response: HttpResponse) -> dict[str, str]:
    """The headers of ``response`` that ``dataset`` keeps (those it sent), as stored in :func:`headers_file`."""
    return {name: value for name in dataset.kept_headers if (value := response.header(name)) is not None}


def stored_response(payload: Path) -> HttpResponse:
    """A stored payload as the response it came in: the body verbatim, with the headers kept beside it, if any."""
    sidecar = headers_file(payload)
    headers = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    return HttpResponse(200, payload.read_bytes(), headers)


def require_list(dataset: Dataset, payload: Any, what: str) -> list:
    dataset.refuse_provider_error(payload)
    if not isinstance(payload, list):
        raise dataset.parse_error(f"expected {what} as a JSON list, got {type(payload).__name__}: {payload!r:.160}")
    return payload


# --- daily values ---------------------------------------------------------------------------------

def day_stamp(dataset: Dataset, record: Mapping[str, Any], name: str, read: Callable[[Any], datetime], where: str,
              seen: set[datetime]) -> datetime:
    """``read(record[name])``, which must be a UTC midnight (a value stamped at another instant would land in the
    wrong day, or is not the daily series asked for) and a day not in ``seen`` (which it joins): an answer holding
    a day twice is refused rather than one of its values picked."""
    moment = field(dataset, record, name, read, where=where)
    if moment.time() != time():
        raise dataset.parse_error(f"field {name!r}{where} = {record[name]!r} ({moment}) is not 00:00 UTC: "
                                  "not a daily value")
    if moment in seen:
        raise dataset.parse_error(f"two rows for {moment:%Y-%m-%d}{where}: the answer repeats a day")
    seen.add(moment)
    return moment


def check_days(dataset: Dataset, rows: list[Row], column: str, first: date, last: date, asked: str) -> None:
    """Every row's day within [first, last]: what the request asked for."""
    for row in rows:
        if not first <= row[column].date() <= last:
            raise dataset.parse_error(f"row for {row[column]:%Y-%m-%d} lies outside the requested {asked}")


def window_of(start: str, end: str) -> tuple[date, date]:
    """(first, last) day of ISO day or timestamp texts, as a request's parameters spell them."""
    return date.fromisoformat(start[:10]), date.fromisoformat(end[:10])


# --- command line ---------------------------------------------------------------------------------

def write_csv(rows: Sequence[Row], columns: Iterable[str], out=None) -> None:
    out = out or sys.stdout
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (v.isoformat(sep=" ") if isinstance(v, datetime) else v) for k, v in row.items()})


def cli(datasets: Mapping[str, Dataset], argv: Sequence[str] | None = None) -> int:
    """Parse a saved payload and print its rows as CSV: for debugging a provider's response by hand. A landed
    payload's kept headers (``<payload>.headers``) are read with it."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in datasets:
        print(f"usage: python -m <connector> {{{'|'.join(datasets)}}} <payload-file>", file=sys.stderr)
        return 2
    dataset = datasets[args[0]]
    try:
        rows = dataset.parse_response(stored_response(Path(args[1])))
    except (OSError, FeedParseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a payload must never end in a traceback; say what broke
        print(f"error: {dataset.provider.name}/{dataset.name}: {args[1]} could not be parsed "
              f"({type(exc).__name__}: {str(exc)[:300]}); this is a connector bug: please report it with the file",
              file=sys.stderr)
        return 1
    write_csv(rows, dataset.columns)
    return 0

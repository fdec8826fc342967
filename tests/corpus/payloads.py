"""The bad-payload corpus: for every dataset, a good payload from the sample world and the ways a hostile or
broken provider can spoil it, each with the outcome it must have.

Outcomes:
- ``error``: the parser refuses the payload with a message holding ``expect`` (the CLI prints it and exits 1;
  landing records the feed's days as ``failed`` with that reason and keeps earlier rows);
- ``gate``: the payload parses (it is well-formed) but the raw table's gate blocks it, naming ``expect`` (a
  column or rule);
- ``harmless``: it parses to exactly the rows of the good payload.

Cases are generated from a small description of each payload's shape (where its records, time stamps,
values and instrument are), so a new connector joins the corpus with one ``Shape``.
"""
from __future__ import annotations

import copy
import functools
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any, Callable

from orchestration.feeds import (binance, bybit, cftc, coinalyze, coinglass, coinmetrics, cryptoquant, defillama, deribit,
                                 dydx, farside, glassnode, hyperliquid, okx, sosovalue)
from orchestration.feeds.base import Dataset, Window
from orchestration.feeds.http import HttpRequest

NOW = datetime(2025, 6, 11, 0, 30, tzinfo=timezone.utc)  # Deribit OI and the heatmap serve 2025-06-10 then
WINDOW = Window(date(2025, 6, 9), date(2025, 6, 10))
ARCHIVE_WINDOW = Window(date(2025, 5, 1), date(2025, 5, 1))  # older than the API's 30 days: the metrics zip
CLOUDFLARE = (b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
              b"<div id='cf-wrapper'>Checking your browser (Cloudflare)</div></body></html>")

Records = Callable[[Any], list]


@dataclass(frozen=True)
class Shape:
    """Where a JSON payload keeps what the corpus spoils."""

    module: Any
    dataset: str
    records: Records                      # the list of records (dicts or arrays) inside the payload
    time: str | int                       # key (or index) of the record's time stamp ...
    unit: str                             # ... as "ms", "s", "iso" or "date"
    value: str | int | tuple              # a number the gate bounds (a tuple: its path in nested objects) ...
    column: str                           # ... and the raw column it lands in
    error_envelope: bytes                 # the provider's own error answer ...
    error_text: str                       # ... and the words it must be reported with
    negative: str = "gate"                # outcome of a negative value (funding may be negative)
    duplicate: str = "gate"               # outcome of a second record for the same time with another value
    duplicate_expect: str = ""
    instrument: tuple[str, str | int] | None = None   # ("record" | "container", key) where the payload names it
    container: Records | None = None      # the object around the records (for "container" fields)
    time_in_container: bool = False
    integer: str | int | None = None      # a whole-number field
    wrong_unit: str = "error"             # outcome of the time stamp in the other epoch unit
    window: Window = WINDOW

    @property
    def key(self) -> str:
        return f"{self.module.PROVIDER.name}/{self.dataset}"

    @property
    def target(self) -> Dataset:
        return self.module.DATASETS[self.dataset]


@dataclass(frozen=True)
class Case:
    dataset: str          # provider/dataset
    name: str
    outcome: str          # "error" | "gate" | "harmless"
    expect: str
    body: bytes = field(repr=False)
    request: HttpRequest = field(repr=False)
    window: Window = WINDOW
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # the response's, for parse_response

    @property
    def id(self) -> str:
        return f"{self.dataset}:{self.name}"


SHAPES: tuple[Shape, ...] = (
    Shape(binance, "funding", lambda p: p, "fundingTime", "ms", "fundingRate", "funding_rate",
          b'{"code":-1121,"msg":"Invalid symbol."}', "Invalid symbol", negative="harmless",
          instrument=("record", "symbol")),
    Shape(binance, "open_interest", lambda p: p, "timestamp", "ms", "sumOpenInterest", "sum_open_interest",
          b'{"code":-1130,"msg":"Data sent for parameter \'startTime\' is not valid."}', "is not valid",
          instrument=("record", "symbol")),
    Shape(binance, "spot_klines", lambda p: p, 0, "ms", 4, "close",
          b'{"code":-1003,"msg":"Too much request weight used; current limit is 6000."}', "Too much request weight",
          integer=8, duplicate="error", duplicate_expect="bars repeated, overlapping or out of order"),
    Shape(okx, "funding", lambda p: p["data"], "fundingTime", "ms", "fundingRate", "funding_rate",
          b'{"code":"51001","msg":"Instrument ID does not exist","data":[]}', "Instrument ID does not exist",
          negative="harmless", instrument=("record", "instId")),
    Shape(okx, "open_interest", lambda p: p["data"], 0, "ms", 1, "oi_usd",
          b'{"code":"50011","msg":"Too Many Requests","data":[]}', "Too Many Requests"),
    Shape(bybit, "funding", lambda p: p["result"]["list"], "fundingRateTimestamp", "ms", "fundingRate",
          "funding_rate", b'{"retCode":10001,"retMsg":"params error: symbol invalid","result":{},"time":1}',
          "symbol invalid", negative="harmless", instrument=("record", "symbol")),
    Shape(bybit, "open_interest", lambda p: p["result"]["list"], "timestamp", "ms", "openInterest", "oi_btc",
          b'{"retCode":10006,"retMsg":"Too many visits!","result":{},"time":1}', "Too many visits",
          instrument=("container", "symbol"), container=lambda p: p["result"]),
    Shape(deribit, "funding", lambda p: p["result"], "timestamp", "ms", "interest_1h", "interest_1h",
          b'{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"param":"end_timestamp"}}}',
          "Invalid params", negative="harmless", duplicate="error", duplicate_expect="conflicting rows"),
    Shape(deribit, "open_interest", lambda p: p["result"], "creation_timestamp", "ms", "open_interest", "oi_usd",
          b'{"jsonrpc":"2.0","error":{"code":10028,"message":"too_many_requests"}}', "too_many_requests",
          instrument=("record", "instrument_name")),
    Shape(dydx, "funding", lambda p: p["historicalFunding"], "effectiveAt", "iso", "rate", "rate",
          b'{"errors":[{"msg":"ticker must be a valid ticker","param":"ticker","location":"params"}]}',
          "ticker must be a valid ticker", negative="harmless", instrument=("record", "ticker"),
          integer="effectiveAtHeight"),
    Shape(dydx, "open_interest", lambda p: p["candles"], "startedAt", "iso", "startingOpenInterest",
          "starting_open_interest", b'{"errors":[{"msg":"Invalid resolution","param":"resolution"}]}',
          "Invalid resolution", duplicate="error", duplicate_expect="conflicting candles",
          instrument=("record", "ticker")),
    Shape(cftc, "cme_open_interest", lambda p: p, "report_date_as_yyyy_mm_dd", "date", "open_interest_all",
          "open_interest_contracts",
          b'{"code":"query.soql.no-such-column","error":true,"message":"No such column: open_interest"}',
          "No such column", duplicate="error", duplicate_expect="reported twice",
          instrument=("record", "cftc_contract_market_code"), window=Window(date(2025, 6, 1), date(2025, 6, 10))),
    *(Shape(coinglass, name, lambda p: p["data"], "time", "ms", value, column,
            b'{"code":"401","msg":"API key missing or invalid"}', "API key missing", negative=negative,
            duplicate="error", duplicate_expect="duplicate bar", instrument=("record", "symbol"))
      for name, value, column, negative in (
          ("oi_aggregated", "close", "close_usd", "gate"),
          ("funding_oi_weighted", "close", "close_pct", "harmless"),
          ("liquidations", "aggregated_long_liquidation_usd", "long_usd", "gate"))),
    Shape(coinglass, "liquidation_heatmap", lambda p: p["data"]["liquidation_leverage_data"], "update_time", "ms", 2,
          "liquidation_usd", b'{"code":"403","msg":"Upgrade plan"}', "Upgrade plan", negative="error",
          duplicate="error", duplicate_expect="appears twice", instrument=("container", "symbol"),
          container=lambda p: p["data"], time_in_container=True, integer=1,
          wrong_unit="harmless"),  # update_time is read in seconds or milliseconds by design: both documented
    *(Shape(coinalyze, name, lambda p: p[0]["history"], "t", "s", value, column, b'{"message":"Invalid API key"}', "Invalid API key",
            negative=negative, duplicate="error", duplicate_expect="conflicting bars",
            instrument=("container", "symbol"), container=lambda p: p[0])
      for name, value, column, negative in (
          ("open_interest", "c", "close_usd", "gate"), ("funding", "c", "close_pct", "harmless"),
          ("liquidations", "l", "long_usd", "gate"))),
    *(Shape(glassnode, name, lambda p: p, "t", "s", "v", column, b'{"error":"unauthorized: invalid or missing api_key"}',
            "unauthorized", negative=negative, duplicate="error", duplicate_expect="repeats a day")
      for name, column, negative in (("exchange_balance", "balance_btc", "gate"),
                                     ("exchange_net_flow", "net_flow_btc", "harmless"),  # outflows are negative
                                     ("mvrv", "mvrv", "gate"), ("nupl", "nupl", "gate"))),  # a sign flip: off the day before
    *(Shape(cryptoquant, name, lambda p: p["result"]["data"], "date", "date", value, column,
            b'{"status":{"code":401,"message":"Unauthorized: invalid token"}}', "Unauthorized", negative=negative,
            duplicate="error", duplicate_expect="repeats a day")
      for name, value, column, negative in (("exchange_reserve", "reserve", "reserve_btc", "gate"),
                                            ("exchange_netflow", "netflow_total", "netflow_btc", "harmless"),
                                            ("estimated_leverage_ratio", "estimated_leverage_ratio",
                                             "estimated_leverage_ratio", "gate"))),
    Shape(coinmetrics, "asset_metrics", lambda p: p["data"], "time", "iso", "SplyExNtv", "supply_exchanges_btc",
          b'{"error":{"type":"forbidden","message":"Requested metric is not available with supplied credentials."}}',
          "forbidden", duplicate="error", duplicate_expect="repeats a day", instrument=("record", "asset")),
    Shape(defillama, "stablecoin_supply", lambda p: p, "date", "s", ("totalCirculatingUSD", "peggedUSD"),
          "circulating_usd", b'{"message":"Internal server error"}', "Internal server error", negative="error",
          duplicate="error", duplicate_expect="repeats a day"),
    Shape(hyperliquid, "funding", lambda p: p, "time", "ms", "fundingRate", "funding_rate",
          b"Failed to deserialize the JSON body into the target type: missing field `coin` at line 1 column 28",
          "Failed to deserialize", negative="harmless", duplicate="error", duplicate_expect="conflicting rows",
          instrument=("record", "coin")),
    Shape(sosovalue, "flows", lambda p: p["data"]["list"], "date", "date", "totalNetInflow", "total_net_inflow_usd",
          b'{"code":40001,"msg":"invalid apikey","data":null}', "invalid apikey", negative="harmless",
          duplicate="error", duplicate_expect="listed twice"),
)


# --- the good payloads ------------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _transport():
    from orchestration.sample.transport import SampleTransport

    return SampleTransport(now=NOW)


def good(dataset: Dataset, window: Window) -> tuple[HttpRequest, bytes]:
    """The first request of ``window`` and the sample world's answer to it."""
    request = dataset.requests(dataset.fetch_window(window), NOW)[0]
    response = _transport().send(request, timeout=10)
    assert response.status == 200, (dataset.name, response.status)
    return request, response.body


# --- generic spoilers -------------------------------------------------------------------------------------------

def _scaled(original: Any, factor: float) -> Any:
    value = float(original) * factor
    return repr(value) if isinstance(original, str) else value


def _shifted_unit(original: Any, unit: str) -> Any:
    """The same instant in the wrong unit (seconds for milliseconds and back) or the wrong form."""
    if unit == "ms":
        wrong = int(original) // 1000
    elif unit == "s":
        wrong = int(original) * 1000
    elif unit == "iso":
        return int(datetime.fromisoformat(original.replace("Z", "+00:00")).timestamp() * 1000)
    else:  # a date
        return datetime.fromisoformat(original[:10]).strftime("%m/%d/%Y")
    return str(wrong) if isinstance(original, str) else wrong


def _future(original: Any, unit: str) -> Any:
    stamp = {"ms": 4_200_000_000_000, "s": 4_200_000_000}.get(unit)
    if stamp is None:
        return "2250-01-01T00:00:00.000Z" if unit == "iso" else "2250-01-01T00:00:00.000"
    return str(stamp) if isinstance(original, str) else stamp


def _with_offset(original: str, unit: str) -> str:
    return original.replace("Z", "+08:00") if unit == "iso" else original + "+08:00"


def _value_holder(record: Any, value: str | int | tuple) -> tuple[Any, str | int]:
    """(the object holding a record's value, its key): the record itself, or the nested object a path names."""
    path = value if isinstance(value, tuple) else (value,)
    for key in path[:-1]:
        record = record[key]
    return record, path[-1]


def _json_cases(shape: Shape) -> list[Case]:
    request, body = good(shape.target, shape.window)
    payload = json.loads(body)
    cases: list[Case] = []

    def add(name, outcome, expect, new_body):
        cases.append(Case(shape.key, name, outcome, expect, new_body, request, shape.window))

    def spoil(name, outcome, expect, change: Callable[[Any], None]):
        spoilt = copy.deepcopy(payload)
        change(spoilt)
        add(name, outcome, expect, json.dumps(spoilt).encode())

    def time_holder(p):
        return shape.container(p) if shape.time_in_container else shape.records(p)[0]

    def set_time(value_of):
        def change(p):
            holder = time_holder(p)
            holder[shape.time] = value_of(holder[shape.time])
        return change

    def set_value(value_of):
        def change(p):
            record = shape.records(p)[0]
            holder, key = _value_holder(record, shape.value)
            holder[key] = value_of(holder[key])
        return change

    # the body as a whole
    add("empty body", "error", "payload is empty", b"")
    add("truncated JSON", "error", "not JSON", body[: len(body) // 2])
    add("Cloudflare challenge page", "error", "HTML page", CLOUDFLARE)
    add("not UTF-8", "error", "not UTF-8", body.replace(b'"', b'"\xe9', 1))
    add("100k-deep nesting", "error", "nests", b"[" * 100_000 + b"]" * 100_000)
    add("JSON null", "error", "None", b"null")
    add("provider error envelope", "error", shape.error_text, shape.error_envelope)
    # the time stamp
    spoil("time stamp is a bool", "error", "boolean" if shape.unit in ("ms", "s") else "bool", set_time(lambda v: True))
    spoil("time stamp in the wrong unit", shape.wrong_unit, "unreadable value" if shape.wrong_unit == "error" else "",
          set_time(lambda v: _shifted_unit(v, shape.unit)))
    spoil("time stamp in year 2100+", "error", "2100", set_time(lambda v: _future(v, shape.unit)))
    if shape.unit in ("iso", "date"):
        spoil("time stamp with a +08:00 offset", "error", "unreadable value",
              set_time(lambda v: _with_offset(v, shape.unit)))
    # the value
    spoil("value is a bool", "error", "boolean is not a number", set_value(lambda v: False))
    spoil("value is NaN", "error", "not finite", set_value(lambda v: "NaN"))
    spoil("value with digit separators", "error", "not a number", set_value(lambda v: "1_000"))
    def unit_error(p):  # a unit error spoils the whole series, not one record
        for record in shape.records(p):
            holder, key = _value_holder(record, shape.value)
            holder[key] = _scaled(holder[key], 1000)
    spoil("every value 1000x (a unit error)", "gate", shape.column, unit_error)
    spoil("value negative", shape.negative, {"gate": shape.column, "harmless": "", "error": "negative"}[shape.negative],
          set_value(lambda v: _scaled(v, -1)))
    if not isinstance(shape.value, int):
        def value_missing(p):
            holder, key = _value_holder(shape.records(p)[0], shape.value)
            del holder[key]
        spoil("value missing", "error", "missing field", value_missing)
        spoil("unknown extra field", "harmless", "", lambda p: shape.records(p)[0].update(surprise="!"))
    else:
        spoil("array cut short", "error", "", lambda p: shape.records(p).__setitem__(0, shape.records(p)[0][:2]))
    spoil("value as the other JSON type", "harmless", "",
          set_value(lambda v: float(v) if isinstance(v, str) else repr(v)))

    def duplicate(p):
        records = shape.records(p)
        twin = copy.deepcopy(records[0])
        holder, key = _value_holder(twin, shape.value)
        holder[key] = _scaled(holder[key], 1.01)
        records.append(twin)
    spoil("conflicting duplicate record", shape.duplicate, shape.duplicate_expect or "unique", duplicate)
    if shape.instrument:
        where, key = shape.instrument
        spoil("another instrument", "error", "refusing to land another instrument",
              lambda p: (shape.container(p) if where == "container" else shape.records(p)[0]).__setitem__(key, "ETH-X"))
        spoil("instrument as a number", "error", "expected text",
              lambda p: (shape.container(p) if where == "container" else shape.records(p)[0]).__setitem__(key, 12345))
    if shape.integer is not None:
        spoil("whole number with a fraction", "error", "not a whole number",
              lambda p: shape.records(p)[0].__setitem__(shape.integer, float(shape.records(p)[0][shape.integer]) + 0.9))
    return cases


# --- the Binance metrics archive --------------------------------------------------------------------------------

def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _corrupt_deflate(name: str, data: bytes) -> bytes:
    """A zip whose member's compressed stream is garbage (zlib.error) while the archive's index is intact."""
    body = bytearray(_zip({name: data}))
    start = 30 + len(name)  # local file header + name, no extra field
    body[start:start + 16] = b"\xff" * 16
    return bytes(body)


def _archive_cases() -> list[Case]:
    dataset = binance.DATASETS["open_interest"]
    request, body = good(dataset, ARCHIVE_WINDOW)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        (name,) = archive.namelist()
        text = archive.read(name).decode()
    header, first, *rest = text.splitlines()
    columns = header.split(",")

    def line(**changes) -> str:
        values = dict(zip(columns, first.split(",")))
        values.update(changes)
        return ",".join(values[c] for c in columns)

    def csv_with(*lines: str) -> bytes:
        return _zip({name: "\n".join([header, *lines, *rest]).encode()})

    oi = dict(zip(columns, first.split(",")))["sum_open_interest"]
    stamp = dict(zip(columns, first.split(",")))["create_time"]
    key = "binance/open_interest"
    specs = [
        ("archive: not a zip", "error", "not a readable zip", b"PK\x03\x04 this is not really a zip"),
        ("archive: corrupt deflate data", "error", "in the archive", _corrupt_deflate(name, text.encode())),
        ("archive: CSV not UTF-8", "error", "not UTF-8", _zip({name: text.encode("utf-16")})),
        ("archive: two CSV files", "error", "one .csv file", _zip({name: text.encode(), "b.csv": text.encode()})),
        ("archive: empty zip", "error", "one .csv file", _zip({})),
        ("archive: CSV lacks a column", "error", "lacks columns",
         _zip({name: text.replace("sum_open_interest_value", "value").encode()})),
        ("archive: time stamp with +08:00", "error", "offset", csv_with(line(create_time=stamp + "+08:00"))),
        ("archive: ETHUSDT rows", "error", "refusing to land another instrument", csv_with(line(symbol="ETHUSDT"))),
        ("archive: value with digit separators", "error", "not a number", csv_with(line(sum_open_interest="1_000"))),
        ("archive: value NaN", "error", "not finite", csv_with(line(sum_open_interest="nan"))),
        ("archive: value 1000x too large", "gate", "sum_open_interest",
         csv_with(line(sum_open_interest=repr(float(oi) * 1000)))),
        ("archive: stored uncompressed", "harmless", "", _zip({name: text.encode()}, zipfile.ZIP_STORED)),
        ("archive: repeated identical row", "harmless", "", csv_with(first, first)),
        ("archive: conflicting repeated row", "error", "conflicting rows",
         csv_with(first, line(sum_open_interest=repr(float(oi) * 1.01)))),
    ]
    return [Case(key, n, o, e, b, request, ARCHIVE_WINDOW) for n, o, e, b in specs]


# --- Binance klines of another interval ------------------------------------------------------------------------

def _kline_cases() -> list[Case]:
    """Klines name no interval, their open and close times are it: a payload of other bars (1-minute klines another
    project saved, as Binance serves them: 12 fields, numbers as text, close = open + 59,999 ms) must be refused,
    never landed as the hourly rows asked for."""
    request, body = good(binance.DATASETS["spot_klines"], WINDOW)
    hourly = json.loads(body)
    start = hourly[0][0]

    def minutes(kline: list, i: int) -> list:
        return [start + i * 60_000, *kline[1:6], start + i * 60_000 + 59_999, *kline[7:]]

    def shifted(kline: list, ms: int) -> list:
        return [kline[0] + ms, *kline[1:6], kline[6] + ms, *kline[7:]]

    specs = [
        ("1-minute klines", "error", "is 1m long", [minutes(k, i) for i, k in enumerate(hourly)]),
        ("hourly klines off the hour grid", "error", "off the 1h grid", [shifted(k, 60_000) for k in hourly]),
        ("klines out of order", "error", "bars repeated, overlapping or out of order", hourly[::-1]),
    ]
    return [Case("binance/spot_klines", n, o, e, json.dumps(b).encode(), request, WINDOW) for n, o, e, b in specs]


# --- the Farside HTML page -------------------------------------------------------------------------------------

def _farside_cases() -> list[Case]:
    """Farside's all-data page (HTML, read by header name) spoilt in the ways a changed layout, a challenge
    page or an edited cell would; the day spoilt is the window's last, 10 Jun 2025."""
    request, body = good(farside.DATASETS["flows"], WINDOW)
    page = body.decode()
    start = page.rindex("<tr", 0, page.index("10 Jun 2025"))
    end = page.index("</tr>", start) + len("</tr>")
    row = page[start:end]
    cells = row.split("\n\t<td>")
    summary = page.index("<tr", page.index("tabletext\">Total</span></td>") - 120)

    def in_row(new_row: str) -> bytes:
        return (page[:start] + new_row + page[end:]).encode()

    def cell(i: int, text: str, of: list[str] = cells) -> list[str]:
        """The row's chunks with cell ``i`` (1 = the date, 2 = the first fund, -1 = Total) reading ``text``."""
        new = re.sub(r'(<span class="tabletext">).*(</span></div></td>)', lambda m: m[1] + text + m[2], of[i], count=1)
        return [*of[:i], new, *of[i + 1:]] if i >= 0 else [*of[:i], new]

    def joined(chunks: list[str]) -> bytes:
        return in_row("\n\t<td>".join(chunks))

    header = page[page.index("<thead>"): page.index("</thead>")]
    key = "farside/flows"
    specs = [
        ("empty body", "error", 'no <table class="etf">', b""),
        ("Cloudflare challenge page", "error", "Cloudflare challenge page", CLOUDFLARE),
        ("reader service text rendering", "error", "not a supported input",
         b"Title: Farside Investors\n\nURL Source: https://farside.co.uk/bitcoin-etf-flow-all-data/\n\n"
         b"Markdown Content:\nDate\t\nIBIT\n"),
        ("not UTF-8", "error", "not UTF-8", body.replace(b"Total", b"Tot\xe9l", 1)),
        ("table class renamed", "error", 'no <table class="etf">',
         page.replace('class="etf"', 'class="etf-v2"').encode()),
        ("unknown header", "error", "cannot place it",
         page.replace(header, header.replace(">BITB<", ">Fee %<")).encode()),
        ("duplicate header", "error", "appears twice",
         page.replace(header, header.replace(">FBTC<", ">IBIT<")).encode()),
        ("heading in billions", "error", "declares US$bn", page.replace("(US$m)", "(US$bn)").encode()),
        ("a cell cut from a row", "error", "cells, the header", in_row("\n\t<td>".join(cells[:-2] + cells[-1:]))),
        ("date in ISO form", "error", "neither a date", in_row(row.replace("10 Jun 2025", "2025-06-10"))),
        ("day repeated", "error", "appears twice", (page[:end] + row + page[end:]).encode()),
        ("value with a footnote mark", "error", "not a value in Farside's form", joined(cell(2, "193.4*"))),
        ("value with a stray parenthesis", "error", "not a value in Farside's form", joined(cell(2, "(193.4"))),
        ("red value without parentheses", "error", "shown in red",
         joined(cell(2, '<span class="redFont">193.4</span>'))),
        ("a Total without any fund", "error", "but no ticker value",
         joined(functools.reduce(lambda chunks, i: cell(i, "-", chunks), range(2, len(cells) - 1), cells))),
        ("data row after the summary rows", "error", "after the summary rows",
         (page[:start] + page[end:page.index("</tbody>")] + row + page[page.index("</tbody>"):]).encode()),
        ("one fund's cell 1000x", "gate", "flow_usd_m", joined(cell(2, "193,400.0"))),
        ("a Total the funds do not add up to", "gate", "total_usd_m", joined(cell(-1, "999.9"))),
        ("summary rows left out", "harmless", "", (page[:summary] + page[page.index("</tbody>"):]).encode()),
        ("extra attributes and spacing", "harmless", "",
         page.replace('<span class="tabletext">', '<span  class="tabletext" style="x" >').encode()),
    ]
    return [Case(key, n, o, e, b, request, WINDOW) for n, o, e, b in specs]


# --- the Hyperliquid snapshot ------------------------------------------------------------------------------------

def _hyperliquid_snapshot_cases() -> list[Case]:
    """``metaAndAssetCtxs`` (``[meta, ctxs]``, aligned by index) and the response's ``Date``, the snapshot's only
    clock: spoilt in the payload, in the alignment or in the header."""
    dataset = hyperliquid.DATASETS["open_interest"]
    request = dataset.requests(WINDOW, NOW)[0]
    response = _transport().send(request, timeout=10)
    date = {"Date": response.header("Date")}
    meta, ctxs = json.loads(response.body)
    btc = [a["name"] for a in meta["universe"]].index("BTC")

    def spoilt(change: Callable[[dict, list], None]) -> bytes:
        m, c = copy.deepcopy(meta), copy.deepcopy(ctxs)
        change(m, c)
        return json.dumps([m, c]).encode()

    def btc_ctx(**fields) -> Callable[[dict, list], None]:
        return lambda m, c: c[btc].update(fields)

    def reversed_(m, c):
        m["universe"].reverse(), c.reverse()

    oi = ctxs[btc]["openInterest"]
    specs = [
        ("empty body", "error", "payload is empty", b"", date),
        ("truncated JSON", "error", "not JSON", response.body[: len(response.body) // 2], date),
        ("Cloudflare challenge page", "error", "HTML page", CLOUDFLARE, date),
        ("JSON null", "error", "expected [meta, asset contexts]", b"null", date),
        ("provider error answer", "error", "Failed to deserialize",
         b"Failed to deserialize the JSON body into the target type: unknown variant `metaAndAssetCtx`", date),
        ("no Date header", "error", "no Date header", response.body, {}),
        ("Date header not an HTTP date", "error", "is not an HTTP date", response.body,
         {"Date": "2025-06-11T00:30:00Z"}),
        ("universe without BTC", "error", "lists 'BTC' 0 times",
         spoilt(lambda m, c: m["universe"][btc].update(name="XBT")), date),
        ("BTC listed twice", "error", "lists 'BTC' 2 times",
         spoilt(lambda m, c: (m["universe"].append(m["universe"][btc]), c.append(c[btc]))), date),
        ("contexts cut short", "error", "asset contexts for a universe of", spoilt(lambda m, c: c.pop()), date),
        ("openInterest is a bool", "error", "boolean is not a number", spoilt(btc_ctx(openInterest=True)), date),
        ("openInterest NaN", "error", "not finite", spoilt(btc_ctx(openInterest="NaN")), date),
        ("openInterest with digit separators", "error", "not a number", spoilt(btc_ctx(openInterest="1_000")), date),
        ("markPx missing", "error", "missing field 'markPx'", spoilt(lambda m, c: c[btc].pop("markPx")), date),
        ("openInterest 1000x (a unit error)", "gate", "oi_btc",
         spoilt(btc_ctx(openInterest=repr(float(oi) * 1000))), date),
        ("openInterest negative", "gate", "oi_btc", spoilt(btc_ctx(openInterest="-" + oi)), date),
        ("universe and contexts reordered", "harmless", "", spoilt(reversed_), date),
        ("oraclePx missing", "harmless", "", spoilt(lambda m, c: c[btc].pop("oraclePx")), date),
        ("numbers as JSON numbers", "harmless", "", spoilt(btc_ctx(openInterest=float(oi))), date),
        ("Date header in lower case", "harmless", "", response.body, {"date": date["Date"]}),
    ]
    return [Case("hyperliquid/open_interest", n, o, e, b, request, WINDOW, h) for n, o, e, b, h in specs]


def _registered(key: str) -> bool:
    """Whether the pipeline lands ``key`` (provider/dataset): a connector's cases join the corpus once it does."""
    from orchestration.feeds.registry import datasets

    return key in {f"{d.provider.name}/{d.name}" for d in datasets()}


@lru_cache(maxsize=None)
def corpus() -> tuple[Case, ...]:
    cases = [case for shape in SHAPES if _registered(shape.key) for case in _json_cases(shape)]
    cases += _archive_cases() + _kline_cases() + _farside_cases()
    if _registered("hyperliquid/open_interest"):
        cases += _hyperliquid_snapshot_cases()
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)), "corpus case ids must be unique"
    return tuple(cases)


def module_of(key: str):
    provider, _ = key.split("/")
    return next(module for module in (*(shape.module for shape in SHAPES), farside)
                if module.PROVIDER.name == provider)


def good_case(key: str, window: Window) -> tuple[HttpRequest, bytes]:
    provider, name = key.split("/")
    return good(module_of(key).DATASETS[name], window)

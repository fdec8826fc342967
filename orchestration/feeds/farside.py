"""Farside Investors: daily US spot bitcoin ETF flows per issuer, US$ millions, scraped from the HTML table
of the "all data" page (``https://farside.co.uk/bitcoin-etf-flow-all-data/``; ``/btc/`` has recent rows
only). No key. Why Farside: the brief names it the canonical daily aggregator; SoSoValue checks it.

The page (``shared/design/sources.md``, checked against a real copy in ``shared/realdata/farside_html/``):
the data table is ``<table class="etf">``; its header row is ``Date``, one ``<th>`` per ticker, ``Total``;
each data row starts with a date cell ``11 Jan 2024``. Negatives are ``(95.1)`` (in ``<span
class="redFont">``), thousands separators appear (``(1,113.7)``), ``-`` means no value. Weekends are absent;
holiday rows are all ``-`` with Total ``0.0`` (and some holidays are simply left out). Summary rows (Total /
Average / Maximum / Minimum) sit at the bottom and change form over time. **Ticker columns are added over
time**, so every column is read by its header name, never by its position.

What this connector refuses, with an error naming what it saw (never a stack trace):

- a page without ``table.etf`` (a changed layout, an error page), a Cloudflare challenge page (Farside may
  challenge scripted fetches), the text rendering of a reader service (``farside_jina_markdown_*.txt``:
  tab/newline separated cells whose empty and ``-`` values cannot be told from layout);
- a header it cannot place (neither ``Date``, ``Total`` nor a ticker), a duplicate header, a missing
  ``Date`` or ``Total`` column, a page whose heading declares a unit other than US$ millions;
- a row whose cell count differs from the header's, a date that does not read strictly as ``DD Mon YYYY``
  or lies before the first US spot bitcoin ETF day (2024-01-11), the same date twice, a cell that is not a
  number in Farside's form (``1,113.7``, ``(95.1)``, ``-``; a red value must carry its parentheses), a day
  with a Total but no ticker values, a data row after the summary rows.

Rows: one per day and ticker that has a value, in US$ millions as shown (``flow_usd_m``), with the row's
reported ``total_usd_m`` and ``tickers_sum_usd_m`` (the sum of that row's ticker values as read) so the raw
gate can check that the tickers add up to Farside's Total within rounding. Holiday rows give no rows: a
closed market is not a zero flow.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dc_field
from datetime import date, datetime
from html.parser import HTMLParser

from orchestration.feeds.base import Dataset, Row, Window, cli, utc_today
from orchestration.feeds.http import HttpRequest, HttpResponse, ProviderSpec

URL = "https://farside.co.uk/bitcoin-etf-flow-all-data/"
PROVIDER = ProviderSpec("farside", requests_per_second=0.2)
FIRST_DAY = date(2024, 1, 11)  # the first trading day of the US spot bitcoin ETFs
MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                      "Nov", "Dec"), start=1)}
_DATE = re.compile(r"(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})")
_TICKER = re.compile(r"[A-Z][A-Z0-9]{1,7}")
_LABEL = re.compile(r"[A-Za-z][A-Za-z ]*")  # a summary row's first cell: Total, Average, Maximum, ...
_NUMBER = re.compile(r"(?P<open>\()?(?P<minus>-)?(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<close>\))?")
_UNIT = re.compile(r"\(US\$\s?(?P<unit>[A-Za-z]+)\)")
NO_VALUE = "-"
SHOWN = 60  # characters of a cell or a row quoted in an error


def is_jina_text(body: bytes) -> bool:
    """The text a reader service (r.jina.ai) renders from a page: ``Title:`` / ``URL Source:`` /
    ``Markdown Content:`` lines instead of markup."""
    head = body[:600].lstrip()
    return head.startswith(b"Title:") and b"URL Source:" in head and b"Markdown Content:" in head


def is_cloudflare_challenge(text: str) -> bool:
    """Cloudflare's "Just a moment..." / "Attention Required!" interstitial, not the page asked for."""
    low = text[:20000].lower()
    return ("challenge-platform" in low or "cf_chl_" in low or "<title>just a moment...</title>" in low
            or ("attention required!" in low and "cloudflare" in low))


def _title(text: str) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", text[:20000], re.IGNORECASE | re.DOTALL)
    return " ".join(match.group(1).split())[:120] if match else ""


@dataclass
class Cell:
    text: str
    red: bool = False


@dataclass
class FarsideTable:
    """What the page's ``table.etf`` says: its tickers (in page order) and per date the ticker values that
    are there and the reported Total (None where ``-``); summary rows are only counted."""

    tickers: list[str]
    days: dict[date, tuple[dict[str, float], float | None]] = dc_field(default_factory=dict)
    summary_rows: list[str] = dc_field(default_factory=list)

    @property
    def values(self) -> int:
        return sum(len(values) for values, _ in self.days.values())


class _EtfTableReader(HTMLParser):
    """Collects the rows of the first ``<table>`` whose class list holds ``etf``: each row a list of cells
    (their text, whitespace collapsed, and whether a ``redFont`` span marks them). Unclosed ``<tr>``/``<td>``
    are closed by the next one, as browsers do (the real page opens its body with a stray ``<tr>``)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = self.done = False
        self.nested = 0
        self.rows: list[list[Cell]] = []
        self.headings: list[str] = []
        self._row: list[Cell] | None = None
        self._cell: list[str] | None = None
        self._red = False
        self._heading: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("h1", "h2") and not self.found:
            self._heading = []
        if self.done:
            return
        if tag == "table":
            if self.found:
                self.nested += 1
            elif "etf" in classes:
                self.found = True
            return
        if not self.found or self.nested:
            return
        if tag == "tr":
            self._end_row()
            self._row = []
        elif tag in ("td", "th"):
            self._end_cell()
            if self._row is None:
                self._row = []
            self._cell, self._red = [], False
        elif tag == "span" and self._cell is not None and "redfont" in (c.lower() for c in classes):
            self._red = True

    def handle_endtag(self, tag):
        if tag in ("h1", "h2") and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None
        if not self.found or self.done:
            return
        if tag == "table":
            if self.nested:
                self.nested -= 1
            else:
                self._end_row()
                self.done = True
        elif self.nested:
            return
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_row()

    def handle_data(self, data):
        if self._heading is not None:
            self._heading.append(data)
        if self._cell is not None and not self.nested:
            self._cell.append(data)

    def _end_cell(self):
        if self._cell is not None and self._row is not None:
            self._row.append(Cell(" ".join("".join(self._cell).split()), self._red))
        self._cell, self._red = None, False

    def _end_row(self):
        self._end_cell()
        if self._row:
            self.rows.append(self._row)
        self._row = None


class Flows(Dataset):
    """Farside's daily US spot bitcoin ETF flows per issuer (US$ millions), from the all-data page's
    ``table.etf``, read by header name; one row per day and ticker with a value."""

    provider = PROVIDER
    name = "flows"
    time_column = "date"
    payload_extension = "html"
    rows_every_day = False  # weekends and US market holidays have no flows
    columns = {"date": "DATE", "ticker": "VARCHAR", "flow_usd_m": "DOUBLE", "total_usd_m": "DOUBLE",
               "tickers_sum_usd_m": "DOUBLE"}
    nullable = frozenset({"total_usd_m"})

    def servable(self, day: date, now: datetime) -> bool:
        today = utc_today(now)
        return FIRST_DAY <= day <= today

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        """The all-data page holds every day: one GET covers any window."""
        return [HttpRequest("GET", URL)] if self.servable_days(window, now) else []

    def hint(self, response: HttpResponse) -> str:
        if response.status >= 400 and is_cloudflare_challenge(response.text()):
            return ("a Cloudflare challenge page, not Farside's table: Farside refused the scripted fetch; retry "
                    "later, or save the page from a browser and read it with `python -m orchestration.feeds.farside "
                    "flows <file>`")
        return ""

    # -- parsing ----------------------------------------------------------------------------------------
    def read_table(self, body: bytes) -> FarsideTable:
        """The page's ``table.etf``, checked (see the module docstring for what is refused)."""
        if is_jina_text(body):
            raise self.parse_error("this is a reader service's text rendering of the page (Title: / URL Source: "
                                   "/ Markdown Content:), not Farside's HTML: its tab-separated cells cannot be "
                                   "read by column reliably, so it is not a supported input; save the page's "
                                   "HTML instead")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.parse_error(f"page is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        reader = _EtfTableReader()
        reader.feed(text)
        reader.close()
        if not reader.found:
            if is_cloudflare_challenge(text):
                raise self.parse_error(f"a Cloudflare challenge page (title {_title(text)!r}), not Farside's "
                                       "table: Farside refused the scripted fetch; retry later, or save the page "
                                       "from a browser")
            what = f"an HTML page titled {_title(text)!r}" if _title(text) else f"a page starting {text[:60]!r}"
            raise self.parse_error(f'no <table class="etf"> in the payload ({what}): the page layout changed or '
                                   "this is not Farside's ETF flow page")
        for heading in reader.headings:
            unit = _UNIT.search(heading)
            if unit and unit.group("unit") != "m":
                raise self.parse_error(f"the page's heading {heading!r} declares US${unit.group('unit')}, not "
                                       "US$ millions (US$m)")
        return self._table(reader.rows)

    def _table(self, rows: list[list[Cell]]) -> FarsideTable:
        if not rows:
            raise self.parse_error('table.etf has no rows')
        header = [cell.text for cell in rows[0]]
        if not header or header[0].casefold() != "date":
            raise self.parse_error(f"table.etf's first row is not a header starting with 'Date': "
                                   f"{header[:6]!r:.{SHOWN * 2}}")
        columns: dict[str, int] = {}
        for i, name in enumerate(header[1:], start=1):
            key = "Total" if name.casefold() == "total" else name
            if key != "Total" and not _TICKER.fullmatch(name):
                raise self.parse_error(f"header {name!r} (column {i + 1}) is neither Date, Total nor a ticker: "
                                       f"cannot place it (header: {header!r:.{SHOWN * 3}})")
            if key in columns:
                raise self.parse_error(f"header {name!r} appears twice (columns {columns[key] + 1} and {i + 1})")
            columns[key] = i
        if "Total" not in columns:
            raise self.parse_error(f"table.etf has no Total column (header: {header!r:.{SHOWN * 3}})")
        tickers = [name for name in columns if name != "Total"]
        if not tickers:
            raise self.parse_error("table.etf's header names no ticker")
        table = FarsideTable(tickers)
        for n, row in enumerate(rows[1:], start=2):
            first = row[0].text
            if _LABEL.fullmatch(first):
                table.summary_rows.append(first)
                continue
            where = f"row {n} ({first!r:.{SHOWN}})"
            if table.summary_rows:
                raise self.parse_error(f"{where} is a data row after the summary rows "
                                       f"({', '.join(table.summary_rows)}): the table's layout changed")
            if len(row) != len(header):
                raise self.parse_error(f"{where} has {len(row)} cells, the header {len(header)}: "
                                       f"{[c.text for c in row]!r:.{SHOWN * 3}}")
            day = self._date(first, where)
            if day in table.days:
                raise self.parse_error(f"{where}: {day} appears twice in the table")
            values = {t: v for t in tickers if (v := self._value(row[columns[t]], f"{where}, {t}")) is not None}
            total = self._value(row[columns["Total"]], f"{where}, Total")
            if not values and total:
                raise self.parse_error(f"{where} reports a Total of {total} but no ticker value")
            table.days[day] = (values, total)
        if not table.days:
            raise self.parse_error("table.etf has a header but no dated row")
        return table

    def _date(self, text: str, where: str) -> date:
        match = _DATE.fullmatch(text)
        if not match or match.group(2) not in MONTHS:
            raise self.parse_error(f"{where}: first cell is neither a date like '11 Jan 2024' nor a summary label")
        try:
            day = date(int(match.group(3)), MONTHS[match.group(2)], int(match.group(1)))
        except ValueError as exc:
            raise self.parse_error(f"{where}: {text!r} is not a calendar date ({exc})") from exc
        if day < FIRST_DAY:
            raise self.parse_error(f"{where}: {day} is before the first US spot bitcoin ETF day {FIRST_DAY}")
        return day

    def _value(self, cell: Cell, where: str) -> float | None:
        """US$ millions from ``1,113.7`` / ``(95.1)`` / ``-95.1``; ``-`` is no value; anything else refused."""
        if cell.text == NO_VALUE:
            return None
        match = _NUMBER.fullmatch(cell.text)
        if not match or bool(match.group("open")) != bool(match.group("close")) or (
                match.group("open") and match.group("minus")):
            raise self.parse_error(f"{where}: {cell.text!r:.{SHOWN}} is not a value in Farside's form "
                                   "('1,113.7', '(95.1)' or '-')")
        value = float(match.group("digits").replace(",", ""))
        negative = bool(match.group("open") or match.group("minus"))
        if cell.red and not negative and value:
            raise self.parse_error(f"{where}: {cell.text!r} is shown in red (a negative) without parentheses")
        return -value if negative else value

    def parse(self, body: bytes) -> list[Row]:
        table = self.read_table(body)
        rows: list[Row] = []
        for day, (values, total) in table.days.items():
            summed = round(sum(values.values()), 6)
            rows.extend({"date": day, "ticker": ticker, "flow_usd_m": value, "total_usd_m": total,
                         "tickers_sum_usd_m": summed} for ticker, value in values.items())
        return rows


class _FlowsCsv(Flows):
    """The CLI's view: ``date,ticker,flow_usd_m``, one row per day and ticker with a value."""

    columns = {"date": "DATE", "ticker": "VARCHAR", "flow_usd_m": "DOUBLE"}


DATASETS: dict[str, Dataset] = {d.name: d for d in (Flows(),)}

if __name__ == "__main__":
    raise SystemExit(cli({"flows": _FlowsCsv()}))

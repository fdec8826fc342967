"""Coinalyze: per-venue BTC perpetual open interest, funding and liquidations, daily bars.

Shapes follow ``shared/design/sources.md``. Base ``https://api.coinalyze.net/v1/``; the key goes in the
``api_key`` header (``COINALYZE_API_KEY``, redacted by the client); 40 calls a minute, 429 comes with
``Retry-After`` (the shared client waits and retries). Every endpoint takes ``symbols`` (comma list, at most
20), ``interval`` (``daily`` here), ``from`` / ``to`` in UNIX **seconds**, both inclusive, and for OI and
liquidations ``convert_to_usd=true``. Answers are ``[{"symbol", "history": [{"t", "o", "h", "l", "c"}]}]``
(liquidations: ``{"t", "l", "s"}``, long and short liquidations). There is no aggregate symbol: one symbol
per venue is asked for (``VENUE_SYMBOLS``) and rows land per venue; the mart sums them.

[unverified], coded defensively:

- the per-venue symbol codes other than their suffixes (``.A`` Binance, ``.6`` Bybit, ``.3`` OKX,
  ``.2`` Deribit, ``.8`` dYdX, ``.H`` Hyperliquid); the parser derives ``venue`` from the symbol and refuses one
  it did not ask for, so a wrong code fails loudly instead of landing under a guessed venue;
- how many bars one call returns: windows are chunked so a call covers at most ``MAX_BARS`` daily bars, and
  every bar must lie inside the call's [from, to];
- that daily bars start at 00:00 UTC (a bar that does not is refused: it would land in the wrong partition);
- the error body (``{"message": ...}`` with HTTP 400; 401 for a missing or bad key): the message is surfaced;
- funding values are in PERCENT per the venue's own funding interval (Binance/OKX/Bybit 8 h, Deribit quoted
  per 8 h, dYdX and Hyperliquid per 1 h): they land as given, staging normalises; the daily close is the day's
  last rate;
- history: daily OI (and, assumed, funding) from 2020-01-21, liquidations ~730 days
  back from now; older days are *unavailable*, not failed.

Numbers may arrive as JSON numbers or numeric strings, never as bools; ``t`` must be whole UNIX seconds (a
millisecond stamp, a fraction or a bool is refused, never truncated).

Checked against what was asked: each entry's symbol (one of the call's ``symbols``), every bar inside
``from``..``to``, daily bars at 00:00 UTC (bars of a shorter interval would fall off midnight). What the payload
cannot show: ``convert_to_usd`` (the answer carries no unit: OI and liquidations are trusted to be USD) and the
funding rate's unit and interval per venue.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Mapping

from orchestration.feeds.base import (Dataset, Row, Window, cli, day_runs, epoch_s, field, html_summary, load_json,
                                      looks_html, number, require_list, utc, utc_today)
from orchestration.feeds.http import HttpRequest, HttpResponse, ProviderSpec

API = "https://api.coinalyze.net/v1"
PROVIDER = ProviderSpec("coinalyze", requests_per_second=40 / 60, api_key_env="COINALYZE_API_KEY",
                        api_key_header="api_key", key_required=True)
#: the one BTC perpetual per venue that is landed ([unverified] beyond the venue suffix codes)
VENUE_SYMBOLS: dict[str, str] = {
    "binance": "BTCUSDT_PERP.A",
    "bybit": "BTCUSDT.6",
    "okx": "BTCUSDT_PERP.3",
    "deribit": "BTCUSD_PERP.2",
    "dydx": "BTC-USD_PERP.8",
    # Hyperliquid is exchange code H; its BTC perpetual is named as in public Coinalyze clients' code and fixtures
    "hyperliquid": "BTCUSD_PERP.H",
}
MAX_SYMBOLS = 20  # per call, the API's limit
MAX_BARS = 365  # daily bars per call: the API's own cap is unknown, so stay well inside any plausible one
INTERVAL = "daily"
DAY_S = 86_400
FIRST_DAY = date(2020, 1, 21)  # daily OI history starts here
LIQUIDATION_HISTORY_DAYS = 730
MARGIN_DAYS = 2  # never ask for the oldest, half-expired days of a rolling history
# plausible UNIX-seconds range: 2009-01-01 .. 2286; a millisecond stamp (~1.7e12) falls far outside


def _seconds(moment: datetime) -> int:
    return int(utc(moment).timestamp())


class CoinalyzeDataset(Dataset):
    """One history endpoint, daily bars, one symbol per venue. ``venue_symbols`` (venue -> symbol) defaults
    to ``VENUE_SYMBOLS`` (those of ``venues`` where a dataset names them); tests pass larger maps to exercise
    the 20-symbol split."""

    provider = PROVIDER
    interval = INTERVAL
    endpoint: str
    #: payload key -> raw column, in payload order
    values: Mapping[str, str]
    extra_params: Mapping[str, str] = {}
    #: the venues of ``VENUE_SYMBOLS`` this dataset asks for (None: all of them)
    venues: tuple[str, ...] | None = None

    def __init__(self, venue_symbols: Mapping[str, str] | None = None):
        default = {v: s for v, s in VENUE_SYMBOLS.items() if self.venues is None or v in self.venues}
        self.venue_symbols = dict(default if venue_symbols is None else venue_symbols)
        self.symbol_venues = {symbol: venue for venue, symbol in self.venue_symbols.items()}
        if len(self.symbol_venues) != len(self.venue_symbols):
            raise ValueError("two venues share a symbol")

    # -- planning ---------------------------------------------------------------------------------
    def servable(self, day: date, now: datetime) -> bool:
        return FIRST_DAY <= day <= utc_today(now)

    def _request(self, symbols: list[str], from_s: int, to_s: int) -> HttpRequest:
        return HttpRequest("GET", f"{API}/{self.endpoint}",
                           {"symbols": ",".join(symbols), "interval": self.interval, "from": str(from_s),
                            "to": str(to_s), **self.extra_params})

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        """One call per chunk of at most ``MAX_BARS`` servable days and per group of at most 20 symbols;
        ``to`` is the chunk's last second (inclusive), never beyond ``now``."""
        symbols = list(self.venue_symbols.values())
        groups = [symbols[i:i + MAX_SYMBOLS] for i in range(0, len(symbols), MAX_SYMBOLS)]
        now_s, plan = _seconds(now), []
        for chunk in day_runs(self.servable_days(window, now), MAX_BARS):
            from_s, to_s = _seconds(chunk.start_dt), min(_seconds(chunk.end_dt) - 1, now_s)
            if to_s < from_s:
                continue
            plan.extend(self._request(group, from_s, to_s) for group in groups)
        return plan

    def next_request(self, request: HttpRequest, rows: list[Row], window: Window) -> HttpRequest | None:
        """No paging (windows are chunked up front); checks the answer against what was asked: only the
        requested symbols, every bar inside [from, to]."""
        asked = set(request.params["symbols"].split(","))
        lo, hi = int(request.params["from"]), int(request.params["to"])
        for row in rows:
            if row["symbol"] not in asked:
                raise self.parse_error(f"answer holds symbol {row['symbol']!r}, which this call did not ask for "
                                       f"(asked {request.params['symbols']})")
            t = _seconds(row["t"])
            if not lo <= t <= hi:
                raise self.parse_error(f"{row['symbol']} bar t={t} ({row['t']}) lies outside the requested "
                                       f"from={lo} .. to={hi}")
        return None

    # -- answers ----------------------------------------------------------------------------------
    def provider_error(self, payload: Any) -> str | None:
        """Errors come as ``{"message": ...}`` (or ``error``), with HTTP 4xx [unverified] or 2xx: never data."""
        message = payload.get("message") or payload.get("error") if isinstance(payload, dict) else None
        return str(message) if message else None

    def hint(self, response: HttpResponse) -> str:
        return "API key missing or invalid: set COINALYZE_API_KEY" if response.status in (401, 403) else ""

    def entries(self, body: bytes) -> list:
        if looks_html(body) or body.lstrip()[:1] == b"<":  # any markup where JSON belongs
            raise self.parse_error(f"payload is {html_summary(body)}")
        payload = load_json(self, body)
        if isinstance(payload, dict) and ("message" in payload or "error" in payload):
            raise self.parse_error(f"Coinalyze error object instead of data: "
                                   f"{payload.get('message', payload.get('error'))!r:.200}")
        return require_list(self, payload, "a list of {symbol, history}")

    def bar_time(self, bar: Any, where: str) -> datetime:
        """``t``: whole UNIX seconds at 00:00 UTC (daily bars); milliseconds, fractions, bools refused."""
        moment = field(self, bar, "t", epoch_s, where=where)
        if self.interval == INTERVAL and moment.time() != datetime.min.time():
            raise self.parse_error(f"daily bar t={bar['t']}{where} does not start at 00:00 UTC")
        return moment

    def parse(self, body: bytes) -> list[Row]:
        rows: dict[tuple[str, datetime], Row] = {}
        for i, entry in enumerate(self.entries(body)):
            where = f" in entry {i}"
            symbol = self.instrument(entry, "symbol", self.symbol_venues, where=where)
            venue = self.symbol_venues[symbol]
            history = entry.get("history")
            if not isinstance(history, list):
                raise self.parse_error(f"{symbol}: expected 'history' as a JSON list{where}, got {history!r:.80}")
            for j, bar in enumerate(history):
                at = f" in {symbol} history[{j}]"
                row = {"symbol": symbol, "venue": venue, "t": self.bar_time(bar, at), "interval": self.interval}
                for key, column in self.values.items():
                    row[column] = field(self, bar, key, number, where=at)
                earlier = rows.get((symbol, row["t"]))
                if earlier is not None and earlier != row:
                    raise self.parse_error(f"conflicting bars for {symbol} at {row['t']}{at}")
                rows[(symbol, row["t"])] = row
        return list(rows.values())


class OpenInterest(CoinalyzeDataset):
    """``open-interest-history`` in USD: OHLC per daily bar; ``t`` is the bar start (UTC) and the close is
    the venue's OI at the end of that UTC day (as Coinalyze samples it)."""

    name = "open_interest"
    endpoint = "open-interest-history"
    time_column = "t"
    columns = {"symbol": "VARCHAR", "venue": "VARCHAR", "t": "TIMESTAMP", "interval": "VARCHAR",
               "open_usd": "DOUBLE", "high_usd": "DOUBLE", "low_usd": "DOUBLE", "close_usd": "DOUBLE"}
    values = {"o": "open_usd", "h": "high_usd", "l": "low_usd", "c": "close_usd"}
    extra_params = {"convert_to_usd": "true"}


class Funding(CoinalyzeDataset):
    """``funding-rate-history``: OHLC of the venue's funding rate in PERCENT per its own interval
    ([unverified]: 8 h Binance/OKX/Bybit, Deribit quoted per 8 h, dYdX and Hyperliquid 1 h); close = the day's
    last rate."""

    name = "funding"
    endpoint = "funding-rate-history"
    time_column = "t"
    columns = {"symbol": "VARCHAR", "venue": "VARCHAR", "t": "TIMESTAMP", "interval": "VARCHAR",
               "open_pct": "DOUBLE", "high_pct": "DOUBLE", "low_pct": "DOUBLE", "close_pct": "DOUBLE"}
    values = {"o": "open_pct", "h": "high_pct", "l": "low_pct", "c": "close_pct"}


class Liquidations(CoinalyzeDataset):
    """``liquidation-history`` in USD: long (``l``) and short (``s``) liquidations per daily bar, collected
    from the venues' public streams (which undercount). Served ~730 days back only. Only the venues CoinGlass's
    liquidation aggregate sums (``coinglass.EXCHANGE_LIST``): the two aggregators stand in for each other in
    the cluster estimate and are compared with each other, so they must cover the same venues."""

    name = "liquidations"
    endpoint = "liquidation-history"
    time_column = "t"
    columns = {"symbol": "VARCHAR", "venue": "VARCHAR", "t": "TIMESTAMP", "interval": "VARCHAR",
               "long_usd": "DOUBLE", "short_usd": "DOUBLE"}
    values = {"l": "long_usd", "s": "short_usd"}
    extra_params = {"convert_to_usd": "true"}
    venues = ("binance", "bybit", "okx", "deribit", "dydx")

    def history_cutoff(self, now: datetime) -> date:
        return utc_today(now) - timedelta(days=LIQUIDATION_HISTORY_DAYS - MARGIN_DAYS)

    def servable(self, day: date, now: datetime) -> bool:
        return max(FIRST_DAY, self.history_cutoff(now)) <= day <= utc_today(now)


DATASETS: dict[str, Dataset] = {d.name: d for d in (OpenInterest(), Funding(), Liquidations())}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

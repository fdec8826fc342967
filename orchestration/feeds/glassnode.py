"""Glassnode: BTC on exchanges, the exchanges' net transfer volume, MVRV and NUPL, one value per UTC day.

Shapes follow ``shared/design/sources.md`` [path checked]: ``GET https://api.glassnode.com/v1/metrics/<path>
?a=BTC&i=24h&s=<unix s>&u=<unix s>&f=json`` answering ``[{"t": <unix s>, "v": <number>}]``. The key goes in the
``api_key`` query parameter (``GLASSNODE_API_KEY``; the client adds it and redacts it from every stored URL and
message); without a key a live run records the feeds as skipped. Paths:

- ``distribution/balance_exchanges``: BTC held on the exchanges Glassnode labels, at the day's end;
- ``transactions/transfers_volume_exchanges_net``: BTC sent to minus BTC withdrawn from them during the day;
- ``market/mvrv``: market cap / realized cap;
- ``indicators/net_unrealized_profit_loss``: NUPL = (market cap - realized cap) / market cap.

Glassnode stamps a value with the START of its interval [checked: docs "Timestamps and Resolutions"], so a
daily ``t`` must be 00:00 UTC and the day it names is the partition; a day's value exists once the day is
over, so only ended days are asked for. ``t`` must be whole UNIX seconds (milliseconds, fractions and bools
refused, never truncated); ``v`` a number (numeric text accepted, bools refused). [unverified], coded
defensively: ``u`` inclusive or not (the window's last second is asked for, which works either way); errors
as HTTP 4xx with a text or ``{"error": ...}`` body (401/403: key missing/invalid or the plan lacks the metric:
the free tier serves daily tier-1 metrics only); one answer covering the whole window (no paging): every row
must lie inside the requested [s, u].

What the payload cannot show: the asset (``a=BTC``) and the metric (the path): ``[{t, v}]`` names neither, so
they are trusted as requested; the interval (``i=24h``) shows as stamps at 00:00 UTC, one per day, and is checked.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Mapping

from orchestration.feeds.base import (DailySeries, Dataset, Row, Window, check_days, cli, day_stamp, epoch_s, field,
                                      load_json, number, require_list)
from orchestration.feeds.http import HttpRequest, HttpResponse, ProviderSpec

API = "https://api.glassnode.com/v1/metrics"
ASSET = "BTC"
INTERVAL = "24h"
FIRST_DAY = date(2010, 7, 17)  # Glassnode's BTC market metrics begin with the first traded price
PROVIDER = ProviderSpec("glassnode", requests_per_second=10 / 60, api_key_env="GLASSNODE_API_KEY",
                        api_key_param="api_key", key_required=True)
PLAN_HINT = "API key missing or invalid, or the plan does not include this metric (the free tier: daily tier-1 only)"


class GlassnodeMetric(DailySeries):
    """One metric path, daily, BTC: a row per day with the metric's value in ``value_column``."""

    provider = PROVIDER
    time_column = "t"
    first_day = FIRST_DAY
    path: str
    value_column: str

    @property
    def columns(self) -> Mapping[str, str]:
        return {"asset": "VARCHAR", "t": "TIMESTAMP", "interval": "VARCHAR", self.value_column: "DOUBLE"}

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        days = self.servable_days(window, now)
        if not days:
            return []
        span = Window(days[0], days[-1])
        return [HttpRequest("GET", f"{API}/{self.path}", {
            "a": ASSET, "i": INTERVAL, "s": str(span.start_ms // 1000), "u": str(span.end_ms // 1000 - 1),
            "f": "json", "timestamp_format": "unix"})]

    def next_request(self, request: HttpRequest, rows: list[Row], window: Window) -> HttpRequest | None:
        """No paging: checks the answer holds only days of the requested [s, u]."""
        first, last = (epoch_s(request.params[k]).date() for k in ("s", "u"))
        check_days(self, rows, "t", first, last, f"s..u = {first}..{last}")
        return None

    def hint(self, response: HttpResponse) -> str:
        return PLAN_HINT if response.status in (401, 403) else ""

    def parse(self, body: bytes) -> list[Row]:
        rows, seen = [], set()
        for i, point in enumerate(require_list(self, load_json(self, body), "a list of {t, v}")):
            where = f" in [{i}]"
            rows.append({"asset": ASSET, "t": day_stamp(self, point, "t", epoch_s, where, seen), "interval": INTERVAL,
                         self.value_column: field(self, point, "v", number, where=where)})
        return rows


class ExchangeBalance(GlassnodeMetric):
    """``distribution/balance_exchanges``: BTC held on the exchanges Glassnode labels, at each UTC day's end
    (fewer wallets than CryptoQuant's "all exchanges": the levels differ by methodology)."""

    name = "exchange_balance"
    path = "distribution/balance_exchanges"
    value_column = "balance_btc"


class ExchangeNetFlow(GlassnodeMetric):
    """``transactions/transfers_volume_exchanges_net``: BTC into minus BTC out of those exchanges over each UTC
    day (positive = coins arriving, supply that can be sold)."""

    name = "exchange_net_flow"
    path = "transactions/transfers_volume_exchanges_net"
    value_column = "net_flow_btc"


class Mvrv(GlassnodeMetric):
    """``market/mvrv``: market cap / realized cap at each UTC day's end (a ratio, ~0.7 .. 4)."""

    name = "mvrv"
    path = "market/mvrv"
    value_column = "mvrv"


class Nupl(GlassnodeMetric):
    """``indicators/net_unrealized_profit_loss``: (market cap - realized cap) / market cap at each UTC day's end
    (a fraction below 1; negative when the market holds at a loss)."""

    name = "nupl"
    path = "indicators/net_unrealized_profit_loss"
    value_column = "nupl"


DATASETS: dict[str, Dataset] = {d.name: d for d in (ExchangeBalance(), ExchangeNetFlow(), Mvrv(), Nupl())}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

"""CryptoQuant: BTC exchange reserve, exchange netflow and the estimated leverage ratio, all exchanges, daily.

Shapes follow ``shared/design/sources.md``, which marks CryptoQuant [unverified]: coded defensively.
``GET https://api.cryptoquant.com/v1/btc/<path>?exchange=all_exchange&window=day&from=YYYYMMDD&to=YYYYMMDD
&limit=N`` with ``Authorization: Bearer <token>`` (``CRYPTOQUANT_API_KEY``; without it a live run records the
feeds as skipped), answering ``{"status": {"code", "message"}, "result": {"window", "data": [...]}}``:

- ``exchange-flows/reserve``: ``{date, reserve, reserve_usd}``, BTC (and USD) on all exchanges CryptoQuant
  tracks at the day's end;
- ``exchange-flows/netflow``: ``{date, netflow_total}``, BTC in minus BTC out over the day;
- ``market-data/estimated-leverage-ratio``: ``{date, estimated_leverage_ratio}``, derivatives open interest
  over the exchanges' reserve.

What is relied on, and how it is checked: ``status.code`` 200 (an error is HTTP >= 400 or another code, with
the provider's ``message`` quoted; 401/403 name the token or the plan); ``date`` "YYYY-MM-DD" (a timestamp
text is accepted when it is 00:00 UTC; another offset or time of day is refused); the answer's order (newest
first is expected, any order is taken) but never a day outside the requested [from, to] nor a day twice;
numbers as JSON numbers or numeric text, never bools. ``limit`` caps the rows of one answer: windows are cut
into requests of at most ``MAX_DAYS`` days with ``limit`` = their day count, so no paging is needed, and an
answer holding more rows than asked for is refused. CryptoQuant restates history when it labels new wallets:
the daily re-landing picks a restatement up, and the raw table keeps what was served when.

What the payload cannot show: ``exchange=all_exchange`` (the answer does not echo the exchange: a payload for
one exchange would read the same) and the metric (the path); the window (``result.window``), the days and the
row count are checked as above.
"""
from __future__ import annotations

import os
from datetime import date, datetime
from typing import Any, Mapping

from orchestration.feeds.base import (DailySeries, Dataset, Row, Window, check_days, cli, day_runs, day_stamp, field,
                                      load_json, number, require_list, utc_time)
from orchestration.feeds.http import HttpRequest, HttpResponse, ProviderSpec

API = "https://api.cryptoquant.com/v1/btc"
EXCHANGE = "all_exchange"
WINDOW = "day"
MAX_DAYS = 1000  # days per request
TOKEN_ENV = "CRYPTOQUANT_API_KEY"
PLAN_HINT = "token missing or invalid (set CRYPTOQUANT_API_KEY), or the plan does not include this metric"


class BearerProviderSpec(ProviderSpec):
    """CryptoQuant wants ``Authorization: Bearer <token>``: the header value is the token with its scheme.

    The client redacts the header value it sends; the bare token is scrubbed from every message this connector
    writes (``scrub``). [http.py lacks a key prefix: ``ProviderSpec.api_key_prefix`` would make this class and
    ``scrub`` unnecessary.]"""

    def api_key(self) -> str | None:
        token = os.environ.get(self.api_key_env) if self.api_key_env else None
        return f"Bearer {token}" if token else None


PROVIDER = BearerProviderSpec("cryptoquant", requests_per_second=0.5, api_key_env=TOKEN_ENV,
                              api_key_header="Authorization", key_required=True)


def scrub(message: str) -> str:
    token = os.environ.get(TOKEN_ENV)
    return message.replace(token, "***") if token else message


class CryptoquantMetric(DailySeries):
    """One daily metric for all exchanges: ``values`` maps payload keys to (raw column, required)."""

    provider = PROVIDER
    time_column = "date"
    path: str
    values: Mapping[str, tuple[str, bool]]

    @property
    def columns(self) -> Mapping[str, str]:
        return {"exchange": "VARCHAR", "date": "TIMESTAMP", "interval": "VARCHAR",
                **{column: "DOUBLE" for column, _ in self.values.values()}}

    @property
    def nullable(self) -> frozenset[str]:
        return frozenset(column for column, required in self.values.values() if not required)

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        return [HttpRequest("GET", f"{API}/{self.path}", {
            "exchange": EXCHANGE, "window": WINDOW, "from": f"{span.start:%Y%m%d}", "to": f"{span.end:%Y%m%d}",
            "limit": str(len(span.days()))}) for span in day_runs(self.servable_days(window, now), MAX_DAYS)]

    def next_request(self, request: HttpRequest, rows: list[Row], window: Window) -> HttpRequest | None:
        """No paging (windows are cut up front): checks the answer against what was asked."""
        first, last = (datetime.strptime(request.params[k], "%Y%m%d").date() for k in ("from", "to"))
        if len(rows) > int(request.params["limit"]):
            raise self.parse_error(f"{len(rows)} rows answer a request for at most {request.params['limit']}")
        check_days(self, rows, "date", first, last, f"from..to = {first}..{last}")
        return None

    @staticmethod
    def status_code(payload: Any) -> str | None:
        status = payload.get("status") if isinstance(payload, dict) else None
        return str(status.get("code")) if isinstance(status, dict) and "code" in status else None

    def provider_error(self, payload: Any) -> str | None:
        code = self.status_code(payload)
        if code in (None, "200"):
            return None
        return scrub(f"status {code}: {payload['status'].get('message')!r}")

    def hint(self, response: HttpResponse) -> str:
        statuses = {response.status, self.status_code(response.json_object())}
        return PLAN_HINT if statuses & {401, 403, "401", "403"} else ""

    def redact(self, message: str) -> str:
        return scrub(message)

    def records(self, body: bytes) -> list:
        payload = load_json(self, body)
        self.refuse_provider_error(payload)
        result = payload.get("result") if isinstance(payload, dict) else None
        if not isinstance(result, dict):
            raise self.parse_error(f"expected {{status, result: {{window, data}}}}, got {payload!r:.160}")
        if str(result.get("window", WINDOW)).lower() != WINDOW:  # spelled "day" or "DAY"
            raise self.parse_error(f"result.window is {result['window']!r}, not the {WINDOW!r} series asked for")
        return require_list(self, result.get("data"), "result.data")

    def parse(self, body: bytes) -> list[Row]:
        rows, seen = [], set()
        for i, record in enumerate(self.records(body)):
            where = f" in result.data[{i}]"
            row = {"exchange": EXCHANGE, "date": day_stamp(self, record, "date", utc_time, where, seen),
                   "interval": WINDOW}
            for key, (column, required) in self.values.items():
                row[column] = field(self, record, key, number, where=where, optional=not required)
            rows.append(row)
        return rows


class ExchangeReserve(CryptoquantMetric):
    """``exchange-flows/reserve``: BTC (and its USD value) held on all exchanges CryptoQuant tracks, at each UTC
    day's end: its widest count (more wallets than Glassnode or CoinMetrics label)."""

    name = "exchange_reserve"
    path = "exchange-flows/reserve"
    first_day = date(2012, 4, 2)
    values = {"reserve": ("reserve_btc", True), "reserve_usd": ("reserve_usd", False)}


class ExchangeNetflow(CryptoquantMetric):
    """``exchange-flows/netflow``: BTC into minus BTC out of all exchanges over each UTC day."""

    name = "exchange_netflow"
    path = "exchange-flows/netflow"
    first_day = date(2012, 4, 2)
    values = {"netflow_total": ("netflow_btc", True)}


class EstimatedLeverageRatio(CryptoquantMetric):
    """``market-data/estimated-leverage-ratio``: derivatives open interest (BTC) over the exchanges' reserve, at
    each UTC day's end (a ratio, ~0.1 .. 0.4)."""

    name = "estimated_leverage_ratio"
    path = "market-data/estimated-leverage-ratio"
    first_day = date(2016, 1, 1)  # [unverified]: OI series begin in the mid-2010s
    values = {"estimated_leverage_ratio": ("estimated_leverage_ratio", True)}


DATASETS: dict[str, Dataset] = {d.name: d for d in (ExchangeReserve(), ExchangeNetflow(), EstimatedLeverageRatio())}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

"""SoSoValue: daily totals of the US spot bitcoin ETFs (net inflow, value traded, net assets, cumulative net
inflow), the source the brief names to check Farside against.

``POST https://api.sosovalue.xyz/openapi/v2/etf/historicalInflowChart`` with the JSON body
``{"type": "us-btc-spot"}``; the key goes in the ``x-soso-api-key`` header (``SOSOVALUE_API_KEY``, redacted by
the client). Without a key in live mode the feed is skipped with the reason and the rest runs. The answer is
``{"code": 0, "msg", "data": {"list": [{"date": "YYYY-MM-DD", "totalNetInflow", "totalValueTraded",
"totalNetAssets", "cumNetInflow"}]}}`` in **USD** (not millions, unlike Farside); some versions return ``data``
as the list itself. The endpoint takes no date range: one call returns the history it keeps, and landing keeps
the window's days.

[unverified], coded defensively: how far back the list reaches (days it does not hold land as ``no_rows``,
like weekends); the error envelope (any ``code`` other than 0 is an error, its ``msg`` surfaced, HTTP 200 or
not, in ``check`` and in ``parse`` alike: ``provider_error``); whether numbers come as JSON numbers or
numeric strings (both read, strictly: a bool, ``"1e"``, ``NaN`` are refused). ``totalNetInflow`` and ``date`` are required; the other three may be null. A date must read
exactly ``YYYY-MM-DD`` and not precede the first US spot bitcoin ETF day (2024-01-11); a day listed twice
with different figures is refused.

What the payload cannot show: the ETF type asked for (``us-btc-spot``): the list does not name it, so an
answer for the ether ETFs would read the same and is trusted as requested; the figures' unit (USD) likewise.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from typing import Any

from orchestration.feeds.base import (Dataset, Row, Window, cli, field, load_json, number, plausible_time, require_list,
                                      utc_today)
from orchestration.feeds.http import HttpRequest, HttpResponse, ProviderSpec

URL = "https://api.sosovalue.xyz/openapi/v2/etf/historicalInflowChart"
ETF_TYPE = "us-btc-spot"
PROVIDER = ProviderSpec("sosovalue", requests_per_second=1.0, api_key_env="SOSOVALUE_API_KEY",
                        api_key_header="x-soso-api-key", key_required=True)
FIRST_DAY = date(2024, 1, 11)  # the first trading day of the US spot bitcoin ETFs
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: payload field -> raw column (USD); the first is required
VALUES = {"totalNetInflow": "total_net_inflow_usd", "totalValueTraded": "total_value_traded_usd",
          "totalNetAssets": "total_net_assets_usd", "cumNetInflow": "cum_net_inflow_usd"}


def iso_day(value: Any) -> date:
    """A calendar day written exactly ``YYYY-MM-DD`` in 2009..2100: a timestamp, an epoch number or a bool is
    refused."""
    if not isinstance(value, str):
        raise TypeError(f"a day should be YYYY-MM-DD text, got {type(value).__name__}")
    if not _DAY.fullmatch(value):
        raise ValueError("not a day written YYYY-MM-DD (2009..2100)")
    day = date.fromisoformat(value)
    plausible_time(datetime.combine(day, time()))
    return day


class Flows(Dataset):
    """SoSoValue's daily US spot bitcoin ETF totals (USD): net inflow, value traded, net assets, cumulative
    net inflow; one row per trading day."""

    provider = PROVIDER
    name = "flows"
    time_column = "date"
    rows_every_day = False  # weekends and US market holidays have no row
    columns = {"date": "DATE", **{column: "DOUBLE" for column in VALUES.values()}}
    nullable = frozenset({"total_value_traded_usd", "total_net_assets_usd", "cum_net_inflow_usd"})

    def servable(self, day: date, now: datetime) -> bool:
        today = utc_today(now)
        return FIRST_DAY <= day <= today

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        if not self.servable_days(window, now):
            return []
        return [HttpRequest("POST", URL, {}, {"Content-Type": "application/json"},
                            json.dumps({"type": ETF_TYPE}).encode())]

    def provider_error(self, payload: Any) -> str | None:
        """SoSoValue errors are ``code != 0`` with their ``msg``, with HTTP 200 as well as 4xx."""
        if isinstance(payload, dict) and str(payload.get("code", "0")) != "0":
            return f"error {payload.get('code')}: {payload.get('msg')!s:.200}"
        return None

    def hint(self, response: HttpResponse) -> str:
        return "API key missing or invalid: set SOSOVALUE_API_KEY" if response.status in (401, 403) else ""

    def entries(self, body: bytes) -> list:
        """The daily list: ``data.list``, or ``data`` itself where it is the list."""
        payload = load_json(self, body)
        self.refuse_provider_error(payload)
        if isinstance(payload, dict):
            if "data" not in payload:
                raise self.parse_error(f"no 'data' in the answer: {payload!r:.160}")
            payload = payload["data"]
            if isinstance(payload, dict):
                if "list" not in payload:
                    raise self.parse_error(f"'data' is an object without 'list': {payload!r:.160}")
                payload = payload["list"]
        return require_list(self, payload, "the daily list (data.list or data)")

    def parse(self, body: bytes) -> list[Row]:
        rows: dict[date, Row] = {}
        for i, entry in enumerate(self.entries(body)):
            where = f" in list[{i}]"
            day = field(self, entry, "date", iso_day, where=where)
            if day < FIRST_DAY:
                raise self.parse_error(f"list[{i}] is dated {day}, before the first US spot bitcoin ETF day "
                                       f"{FIRST_DAY}")
            row: Row = {"date": day}
            for j, (key, column) in enumerate(VALUES.items()):
                row[column] = field(self, entry, key, number, where=f"{where} ({day})", optional=j > 0)
            earlier = rows.get(day)
            if earlier is not None and earlier != row:
                raise self.parse_error(f"{day} is listed twice with different figures{where}")
            rows[day] = row
        return list(rows.values())


DATASETS: dict[str, Dataset] = {d.name: d for d in (Flows(),)}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

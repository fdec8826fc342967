"""CME bitcoin futures open interest from the CFTC Commitments of Traders (Traders in Financial Futures,
futures only), served by Socrata at ``publicreporting.cftc.gov``.

Why this source: CME's book is regulated, institutional leverage that does not flush with crypto perps; the
CFTC publishes it free, weekly. Contracts: 133741 Bitcoin (5 BTC each), 133742 Micro Bitcoin (0.1 BTC each,
listed 2021-05-03). Rows are JSON objects whose values are all strings.

Release timing: positions are as of Tuesday's close and released the following Friday at 15:30 ET
(20:30 UTC in winter, 19:30 UTC in summer); holiday weeks may shift the report date (e.g. to Monday or
Wednesday) and the release. A report therefore describes Tuesday but is *known* only from Friday: the row
lands on the Tuesday partition and the mart must lag it to its release (the dbt model's job, not ours).

[unverified] The leveraged-funds columns' presence in every row and Socrata's exact error bodies are
recalled, not confirmed: leveraged-funds fields are optional here (null when absent), extra fields are
ignored, and any JSON object with ``"error": true`` is treated as an error even with HTTP 200.

What is asked for is checked against the payload where it shows: every row names its contract (one of the two
asked for) and its report date, which must lie within the ``$where`` clause's dates. What the payload cannot
show: that it is the futures-only report (the dataset id in the URL says so; rows do not), and the paging offset
(pages are not numbered: a Socrata ignoring ``$offset`` would serve the first page again, which one page cannot
tell; a contract reported twice within a page is refused).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from typing import Any

from orchestration.feeds.base import (Dataset, Row, Window, check_range, cli, field, load_json, number, plausible_time,
                                      require_list, text, to_ms, utc_today)
from orchestration.feeds.http import HttpRequest, ProviderSpec

URL = "https://publicreporting.cftc.gov/resource/gpe5-46if.json"
# Socrata throttles anonymous callers hardest; an optional app token (redacted by the client) lifts that.
PROVIDER = ProviderSpec("cftc", requests_per_second=2.0, api_key_env="CFTC_APP_TOKEN", api_key_header="X-App-Token")
CONTRACT_SIZE_BTC = {"133741": 5.0, "133742": 0.1}  # standard, micro
FIRST_DAY = date(2017, 12, 17)  # CME bitcoin futures launch; no report before it
RELEASE_LAG = timedelta(days=3)  # Tuesday's positions are released on Friday
ORDER = "report_date_as_yyyy_mm_dd DESC, cftc_contract_market_code"
_WHERE_DAYS = re.compile(r"between '(\d{4}-\d{2}-\d{2})T00:00:00\.000' and '(\d{4}-\d{2}-\d{2})T23:59:59\.999'")
_REPORT_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]00:00:00(?:\.0+)?)?Z?")


def where_clause(start: date, end: date) -> str:
    """The SoQL filter for both contracts' reports dated within [start, end] (inclusive days)."""
    codes = ",".join(f"'{code}'" for code in CONTRACT_SIZE_BTC)
    return (f"cftc_contract_market_code in({codes}) AND report_date_as_yyyy_mm_dd between "
            f"'{start.isoformat()}T00:00:00.000' and '{end.isoformat()}T23:59:59.999'")


def report_midnight(value: object) -> datetime:
    """Socrata's floating timestamp of a report date (always midnight) as a naive datetime."""
    if not isinstance(value, str):
        raise TypeError(f"a report date should be text, got {type(value).__name__}")
    match = _REPORT_DATE.fullmatch(value.strip())
    if not match:
        raise ValueError(f"not a report date: {value!r}")
    return plausible_time(datetime.combine(date.fromisoformat(match.group(1)), datetime.min.time()))


class CmeOpenInterest(Dataset):
    """Weekly CME BTC futures OI per contract, paged with ``$limit``/``$offset`` (next page while full)."""

    provider = PROVIDER
    name = "cme_open_interest"
    time_column = "report_date"
    rows_every_day = False  # only report days (usually Tuesdays) have rows
    # the report in force on a window's first day can date from up to 17 days before it (a holiday week's
    # late release plus a missed week; dbt var cme_max_report_age_days): read that far back
    lookback_days = 21
    columns = {"report_date": "TIMESTAMP", "contract_market_code": "VARCHAR", "market_name": "VARCHAR",
               "open_interest_contracts": "DOUBLE", "contract_size_btc": "DOUBLE",
               "lev_money_long_contracts": "DOUBLE", "lev_money_short_contracts": "DOUBLE"}
    nullable = frozenset({"market_name", "lev_money_long_contracts", "lev_money_short_contracts"})
    limit = 1000

    def servable(self, day: date, now: datetime) -> bool:
        """A day's report (if any) is out once its Friday has come: ``day + 3 days <= today`` (UTC).

        Coarse by design: on the Friday itself before 15:30 ET the report is not out yet, and a holiday
        week can release later; such a day lands as ``no_rows`` and fills in on a later run.
        """
        today = utc_today(now)
        return FIRST_DAY <= day and day + RELEASE_LAG <= today

    def _request(self, start: date, end: date, offset: int) -> HttpRequest:
        return HttpRequest("GET", URL, {"$where": where_clause(start, end), "$order": ORDER,
                                        "$limit": str(self.limit), "$offset": str(offset)})

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        days = self.servable_days(window, now)
        return [self._request(days[0], days[-1], 0)] if days else []

    def next_request(self, request, rows, window):
        asked = _WHERE_DAYS.search(request.params["$where"])
        if asked:  # the clause this connector writes; a hand-made request may say it otherwise
            first, last = (datetime.combine(date.fromisoformat(day), datetime.min.time()) for day in asked.groups())
            check_range(self, [r["report_date"] for r in rows], to_ms(first), to_ms(last),
                        "$where report dates", "report")
        if len(rows) < int(request.params["$limit"]):
            return None
        params = dict(request.params, **{"$offset": str(int(request.params["$offset"]) + len(rows))})
        return HttpRequest(request.method, request.url, params, request.headers)

    def provider_error(self, payload: Any) -> str | None:
        """Socrata errors are ``{"code", "error": true, "message"}``."""
        if isinstance(payload, dict) and (payload.get("error") or "message" in payload):
            return f"{payload.get('code', 'error')}: {payload.get('message', payload)!s:.300}"
        return None

    def parse(self, body: bytes) -> list[Row]:
        rows: list[Row] = []
        seen: set[tuple[str, datetime]] = set()
        for i, rec in enumerate(require_list(self, load_json(self, body), "COT rows")):
            where = f" in row {i}"
            code = self.instrument(rec, "cftc_contract_market_code", CONTRACT_SIZE_BTC, where=where)
            row = {
                "report_date": field(self, rec, "report_date_as_yyyy_mm_dd", report_midnight, where=where),
                "contract_market_code": code,
                "market_name": field(self, rec, "market_and_exchange_names", text, where=where, optional=True),
                "open_interest_contracts": field(self, rec, "open_interest_all", number, where=where),
                "contract_size_btc": CONTRACT_SIZE_BTC[code],
                "lev_money_long_contracts": field(self, rec, "lev_money_positions_long", number, where=where,
                                                  optional=True),
                "lev_money_short_contracts": field(self, rec, "lev_money_positions_short", number, where=where,
                                                   optional=True),
            }
            key = (code, row["report_date"])
            if key in seen:
                raise self.parse_error(f"contract {code} reported twice for {row['report_date']:%Y-%m-%d}{where}")
            seen.add(key)
            rows.append(row)
        return rows


DATASETS: dict[str, Dataset] = {d.name: d for d in (CmeOpenInterest(),)}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

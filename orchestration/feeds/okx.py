"""OKX: BTC-USDT-SWAP funding history and the rubik BTC open-interest/volume statistics.

Shapes follow ``shared/design/sources.md``. Every answer is a ``{"code", "msg", "data"}`` envelope and a
``code`` other than ``"0"`` is an error even with HTTP 200. Both endpoints answer newest first and keep
short histories (funding ~3 months; OI 1H ~30 days, 1D ~180 days): older days are *unavailable*, not
failed. Pages are walked backwards from the window's end.

What is asked for is checked against the payload where it shows: the funding rows name their ``instId``; the
OI answer names neither its currency nor its period, but its stamps imply the period (an hourly request answered
with daily or 5-minute buckets is refused, as is a bucket older than ``begin`` or at/after the cursor). What the
payload cannot show: that the OI figures are BTC's (``ccy``), and the funding interval (rows land as published).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from typing import Any

from orchestration.feeds.base import (Dataset, Row, Window, check_range, check_spacing, cli, field, from_ms,
                                      interval_ms, load_json, number, require_list, span_text, to_ms, utc_today)
from orchestration.feeds.http import HttpRequest, ProviderSpec

API = "https://www.okx.com"
INST_ID = "BTC-USDT-SWAP"
CCY = "BTC"
# funding history ~10 req / 2 s, rubik statistics ~5 req / 2 s: stay under the stricter one
PROVIDER = ProviderSpec("okx", requests_per_second=2.0)
FUNDING_HISTORY_DAYS = 92
OI_HOURLY_DAYS = 30
OI_DAILY_DAYS = 180
MARGIN_DAYS = 2  # like Binance's api_cutoff: never ask for the oldest, half-expired day


class OkxDataset(Dataset):
    provider = PROVIDER

    def provider_error(self, payload: Any) -> str | None:
        """OKX errors are ``code != "0"``, with HTTP 200 (51001) as well as 4xx/429 (50011)."""
        if isinstance(payload, dict) and str(payload.get("code", "0")) != "0":
            return f"error {payload.get('code')}: {payload.get('msg')}"
        return None

    def records(self, body: bytes) -> list:
        """The ``data`` list of a successful envelope."""
        payload = load_json(self, body)
        self.refuse_provider_error(payload)
        if not isinstance(payload, dict) or "code" not in payload:
            raise self.parse_error(f"expected an OKX envelope {{code, msg, data}}, got {payload!r:.160}")
        return require_list(self, payload.get("data"), "data")


def _page_back(dataset: Dataset, request: HttpRequest, times: list[datetime], cursor: str,
               floor_ms: int) -> HttpRequest | None:
    """Next request going back in time: the oldest row seen becomes the new ``cursor``.
    Stops on an empty page or once the window start is reached; refuses a page that did not move back
    (an API ignoring the cursor would otherwise loop forever)."""
    if not times:
        return None
    oldest, newest = to_ms(min(times)), to_ms(max(times))
    bound = int(request.params[cursor])
    if newest >= bound + (1 if cursor == "end" else 0):
        raise dataset.parse_error(f"page holds rows at/after its {cursor}={bound}: OKX ignored the cursor")
    if oldest <= floor_ms:
        return None
    # ``after`` is exclusive (earlier than it), ``end`` inclusive
    return HttpRequest(request.method, request.url,
                       {**request.params, cursor: str(oldest if cursor == "after" else oldest - 1)})


class Funding(OkxDataset):
    """``/api/v5/public/funding-rate-history``: settled funding every 8 h, paged back with ``after``
    (rows strictly earlier than it). Served ~3 months back only."""

    name = "funding"
    time_column = "funding_time"
    columns = {"inst_id": "VARCHAR", "funding_time": "TIMESTAMP", "funding_rate": "DOUBLE",
               "realized_rate": "DOUBLE"}
    nullable = frozenset({"realized_rate"})
    limit = 400

    def servable(self, day: date, now: datetime) -> bool:
        age = (utc_today(now) - day).days
        return 0 <= age < FUNDING_HISTORY_DAYS

    def _request(self, after_ms: int) -> HttpRequest:
        return HttpRequest("GET", f"{API}/api/v5/public/funding-rate-history",
                           {"instId": INST_ID, "after": str(after_ms), "limit": str(self.limit)})

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        days = self.servable_days(window, now)
        return [self._request(Window(days[0], days[-1]).end_ms)] if days else []

    def next_request(self, request, rows, window):
        return _page_back(self, request, [r["funding_time"] for r in rows], "after", window.start_ms)

    def parse(self, body: bytes) -> list[Row]:
        rows = []
        for i, rec in enumerate(self.records(body)):
            where = f" in data[{i}]"
            rows.append({
                "inst_id": self.instrument(rec, "instId", INST_ID, where=where),
                "funding_time": field(self, rec, "fundingTime", from_ms, where=where),
                "funding_rate": field(self, rec, "fundingRate", number, where=where),
                "realized_rate": field(self, rec, "realizedRate", number, where=where, optional=True),
            })
        return rows


class OpenInterest(OkxDataset):
    """``/api/v5/rubik/stat/contracts/open-interest-volume``: all OKX BTC contracts' OI and volume in USD.

    Hourly buckets for the last ~30 days, daily ones back to ~180 days, nothing older (unavailable).
    ``ts`` lands as given, the bucket start; whether OKX's 1D buckets start at 00:00 UTC or 00:00 UTC+8 is
    [unverified], so a day's row is partitioned by its ``ts`` as given and staging must check the hour.
    The endpoint takes no ``limit`` and its page size is [unverified]: pages are walked back with ``end``
    until the window start is reached or a page comes back empty.
    """

    name = "open_interest"
    time_column = "ts"
    columns = {"ccy": "VARCHAR", "ts": "TIMESTAMP", "period": "VARCHAR", "oi_usd": "DOUBLE",
               "volume_usd": "DOUBLE"}

    def hourly_cutoff(self, now: datetime) -> date:
        return utc_today(now) - timedelta(days=OI_HOURLY_DAYS - MARGIN_DAYS)

    def daily_cutoff(self, now: datetime) -> date:
        return utc_today(now) - timedelta(days=OI_DAILY_DAYS - MARGIN_DAYS)

    def servable(self, day: date, now: datetime) -> bool:
        return self.daily_cutoff(now) <= day <= utc_today(now)

    @staticmethod
    def _request(period: str, begin_ms: int, end_ms: int) -> HttpRequest:
        return HttpRequest("GET", f"{API}/api/v5/rubik/stat/contracts/open-interest-volume",
                           {"ccy": CCY, "period": period, "begin": str(begin_ms), "end": str(end_ms)})

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        days = self.servable_days(window, now)
        plan, cutoff = [], self.hourly_cutoff(now)
        for period, part in (("1D", [d for d in days if d < cutoff]), ("1H", [d for d in days if d >= cutoff])):
            if part:
                plan.append(self._request(period, Window(part[0], part[-1]).start_ms,
                                          Window(part[0], part[-1]).end_ms - 1))
        return plan

    def next_request(self, request, rows, window):
        period, times = request.params["period"], [r["ts"] for r in rows]
        # the payload does not say its period, its stamps imply it; 1D buckets may start at 00:00 UTC+8
        check_spacing(self, times, interval_ms(period), period, what="OI buckets", grid=period == "1H")
        begin = int(request.params["begin"])
        check_range(self, times, begin, int(request.params["end"]), "begin..end", "OI bucket")
        for row in rows:  # fetch calls this per page: the request's period, now checked, is the rows'
            row["period"] = period
        return _page_back(self, request, times, "end", begin)

    def parse(self, body: bytes) -> list[Row]:
        rows = []
        for i, rec in enumerate(self.records(body)):
            if not isinstance(rec, list) or len(rec) < 3:
                raise self.parse_error(f"data[{i}] should be [ts, oiUsd, volUsd], got {rec!r:.120}")
            named, where = dict(zip(("ts", "oiUsd", "volUsd"), rec)), f" in data[{i}]"
            rows.append({
                "ccy": CCY,
                "ts": field(self, named, "ts", from_ms, where=where),
                "period": None,  # set below from the spacing; next_request sets it from the request
                "oi_usd": field(self, named, "oiUsd", number, where=where),
                "volume_usd": field(self, named, "volUsd", number, where=where),
            })
        return self._label_period(rows)

    def _label_period(self, rows: list[Row]) -> list[Row]:
        """The period the stamps imply (a saved page parsed by hand has no request to say it): 1D where the
        buckets are whole days apart, 1H where whole hours; any other spacing is not a series this dataset asks
        for."""
        gaps = sorted({abs(to_ms(b["ts"]) - to_ms(a["ts"])) for a, b in zip(rows[1:], rows)} - {0})
        period = None
        if gaps:
            period = next((name for name in ("1D", "1H") if gaps[0] % interval_ms(name) == 0), None)
            if period is None:
                raise self.parse_error(f"OI buckets are {span_text(gaps[0])} apart: neither the 1H nor the 1D "
                                       "series this dataset asks for")
        for row in rows:
            row["period"] = period
        return rows


DATASETS: dict[str, Dataset] = {d.name: d for d in (Funding(), OpenInterest())}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

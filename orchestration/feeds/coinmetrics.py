"""CoinMetrics community API: BTC price, MVRV, supply, supply on exchanges and exchange flows, daily, no key.

Shapes follow ``shared/design/sources.md`` [checked]: ``GET https://community-api.coinmetrics.io/v4/timeseries/
asset-metrics?assets=btc&metrics=PriceUSD,CapMVRVCur,SplyCur,SplyExNtv,FlowInExNtv,FlowOutExNtv&frequency=1d
&start_time&end_time&page_size&paging_from=start`` answering ``{"data": [{"asset": "btc", "time":
"2021-04-18T00:00:00.000000000Z", "<metric>": "<number as text>", ...}], "next_page_token", "next_page_url"}``.
About 10 requests per 6 s; errors are ``{"error": {"type", "message"}}`` with HTTP 4xx (403 ``forbidden`` for
a metric the community tier does not serve), quoted in the failure.

- Paging: ``page_size`` at most 10,000 rows (``PAGE_SIZE``); while an answer carries a ``next_page_token`` the
  same request is sent again with it (``paging_from=start`` is asked for explicitly, so pages run forward); a
  token that repeats the request's own is refused rather than looped on.
- Numbers arrive as text with up to 18 decimals (``"2.248606081441407271"``): read exactly as floats, never
  truncated; a JSON number is accepted, a bool or other text is refused.
- ``time`` is the day's 00:00 UTC with nanoseconds; a daily row at another instant, a row for another asset
  than ``btc``, a day outside [start_time, end_time] or a day twice is refused.
- A metric left out of a row means the API does not serve it for BTC daily (its documented "not a supported
  metric"): refused, the feed must not silently lose a column. A null metric means no data that day: it lands
  as NULL; a row with every metric null is refused (nothing to land).
- ``SplyExNtv`` (BTC on the exchanges CoinMetrics covers) has COVERAGE BREAKS: the level jumps when coverage
  grows (1.43 M BTC in 2021, 2.80 M in 2024), without coins moving. Compare its changes within short
  windows only and against ``FlowInExNtv - FlowOutExNtv`` (staging and ``int_onchain__exchange_balance_reconciled``
  tell a break from a flow); the connector lands what is served.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from orchestration.feeds.base import (DailySeries, Dataset, PageRows, Row, Window, check_days, cli, day_stamp, field,
                                      load_json, number, require_list, utc_time, window_of)
from orchestration.feeds.http import HttpRequest, ProviderSpec

API = "https://community-api.coinmetrics.io/v4/timeseries/asset-metrics"
ASSET = "btc"
FREQUENCY = "1d"
PAGE_SIZE = 10_000  # the API's maximum
FIRST_DAY = date(2010, 7, 18)  # first day with a BTC reference price
PROVIDER = ProviderSpec("coinmetrics", requests_per_second=10 / 6)
#: metric -> raw column
METRICS = {"PriceUSD": "price_usd", "CapMVRVCur": "mvrv", "SplyCur": "supply_btc", "SplyExNtv": "supply_exchanges_btc",
           "FlowInExNtv": "flow_in_exchanges_btc", "FlowOutExNtv": "flow_out_exchanges_btc"}


class AssetMetrics(DailySeries):
    """``timeseries/asset-metrics``, BTC, daily: price (USD), MVRV, supply, supply held on the exchanges
    CoinMetrics covers (with coverage breaks) and the day's gross flows into and out of them (BTC). ``time`` is
    the day's 00:00 UTC; the values are the day's end (flows: the day's sum)."""

    provider = PROVIDER
    name = "asset_metrics"
    time_column = "time"
    first_day = FIRST_DAY
    columns = {"asset": "VARCHAR", "time": "TIMESTAMP", "frequency": "VARCHAR",
               **{column: "DOUBLE" for column in METRICS.values()}}
    nullable = frozenset({"supply_exchanges_btc", "flow_in_exchanges_btc", "flow_out_exchanges_btc"})

    def __init__(self, page_size: int = PAGE_SIZE):
        self.page_size = page_size

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        days = self.servable_days(window, now)
        if not days:
            return []
        return [HttpRequest("GET", API, {
            "assets": ASSET, "metrics": ",".join(METRICS), "frequency": FREQUENCY,
            "start_time": days[0].isoformat(), "end_time": days[-1].isoformat(),
            "page_size": str(self.page_size), "paging_from": "start"})]

    def next_request(self, request: HttpRequest, rows: list[Row], window: Window) -> HttpRequest | None:
        """The same request with the answer's ``next_page_token``, until an answer carries none."""
        first, last = window_of(request.params["start_time"], request.params["end_time"])
        check_days(self, rows, "time", first, last, f"start_time..end_time = {first}..{last}")
        if len(rows) > self.page_size:
            raise self.parse_error(f"{len(rows)} rows on a page of page_size={self.page_size}")
        token = getattr(rows, "cursor", "")
        if not token:
            return None
        if token == request.params.get("next_page_token"):
            raise self.parse_error(f"next_page_token {token!r:.40} repeats the request's own: paging would loop")
        return HttpRequest(request.method, request.url, {**request.params, "next_page_token": token})

    def provider_error(self, payload: Any) -> str | None:
        error = payload.get("error") if isinstance(payload, dict) else None
        if error is None:
            return None
        if isinstance(error, dict):
            return f"{error.get('type', 'error')}: {error.get('message')!r}"
        return repr(error)

    def parse(self, body: bytes) -> list[Row]:
        payload = load_json(self, body)
        self.refuse_provider_error(payload)
        if not isinstance(payload, dict):
            raise self.parse_error(f"expected {{data, next_page_token}}, got {type(payload).__name__}: "
                                   f"{payload!r:.120}")
        rows, seen = PageRows(), set()
        for i, record in enumerate(require_list(self, payload.get("data"), "data")):
            where = f" in data[{i}]"
            row = {"asset": self.instrument(record, "asset", ASSET, where=where),
                   "time": day_stamp(self, record, "time", utc_time, where, seen), "frequency": FREQUENCY}
            for metric, column in METRICS.items():
                if metric not in record:  # the API leaves out a metric it does not serve: not a day without data
                    raise self.parse_error(f"missing field {metric!r}{where}: CoinMetrics does not serve it for "
                                           f"{ASSET} at {FREQUENCY} (any more?): {record!r:.160}")
                row[column] = field(self, record, metric, number, where=where, optional=True)
            if all(row[column] is None for column in METRICS.values()):
                raise self.parse_error(f"row{where} carries none of the metrics {', '.join(METRICS)}: "
                                       f"{record!r:.160}")
            rows.append(row)
        token = payload.get("next_page_token") or ""
        if not isinstance(token, str):
            raise self.parse_error(f"next_page_token should be text, got {token!r:.80}")
        rows.cursor = token
        return rows


DATASETS: dict[str, Dataset] = {d.name: d for d in (AssetMetrics(),)}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

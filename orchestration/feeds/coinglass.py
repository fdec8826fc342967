"""CoinGlass API v4: all-exchange aggregates of BTC open interest, OI-weighted funding and liquidations, and
the aggregated liquidation heatmap ("model2").

Base ``https://open-api-v4.coinglass.com``, key in the ``CG-API-KEY`` header (``COINGLASS_API_KEY``; paid
plans). Every answer is ``{"code": "0", "msg": ..., "data": ...}``: HTTP status **and** ``code`` are checked
(CoinGlass's documented codes: 400 bad parameters, 401 key missing/invalid or the plan lacks the endpoint or
interval, 404, 429 rate limit, 500); an answer with ``code`` "429" is retried like an HTTP 429. The
provider's ``msg`` is quoted in every error. Low plans (Hobbyist) allow intervals >= 4 h only, so the history
endpoints are asked for ``interval=1d``; the heatmap needs a Professional plan.

What the connector relies on, with its status:

- history rows ``{time, open, high, low, close}`` / ``{time, aggregated_long_liquidation_usd,
  aggregated_short_liquidation_usd}``, ``time`` the bar start in epoch **milliseconds**, numbers as JSON
  numbers or numeric strings (both occur in CoinGlass's docs) [checked]; ``limit`` default and max 1000
  [checked]; ``start_time``/``end_time`` in ms (the funding page of the docs says "seconds" but shows ms)
  [unverified]; that ``start_time`` returns the *earliest* bars from it, ascending [unverified]: pages walk
  forward from the window start, each next one starting one bar after the last row received, and a page
  holding rows before its ``start_time`` (the cursor ignored) is refused rather than looped on;
- OI-weighted funding is in **percent** per 8 h (0.01 = 0.01 %) [unverified; sources.md];
- daily bars start at 00:00 UTC [unverified]: a ``time`` off midnight is refused, as is one that is not a
  plausible epoch in ms (seconds read as ms would be off by 1000x: named as such);
- history starts ~2020-02-27 (aggregated OI) [unverified]; the same first day is used for all three;
- heatmap ``data: {y_axis: [price...], liquidation_leverage_data: [[x, y, usd], ...], price_candlesticks:
  [[t, o, h, l, c, vol], ...], update_time}``: shape [unverified]: the docs' example shows the three arrays
  but no ``update_time``, which sources.md lists; it is required here (a snapshot without its instant cannot
  be partitioned) and read as ms or s by magnitude, refusing anything in neither range. x indexes the
  candlesticks, y the price axis; the landed ``liquidation_usd`` of a level is the sum over x, and
  ``last_price_usd`` the close of the last candlestick (the list is required to be in time order).

Checked against what was asked, where the payload shows it: a row's ``symbol`` where it echoes one, daily bars
(``time`` at 00:00 UTC), every bar inside the request's ``start_time``..``end_time``, a page that advances. What
the payload cannot show: ``unit=usd`` (OI), ``exchange_list`` (liquidations: the venues summed) and the heatmap's
``range``/model; they are trusted as requested.

The heatmap is a "now" snapshot like Deribit's OI: day D is landed by a run in [D end, D end + 6 h), its
partition is ``snapshot_ts - 6 h``; older days are unavailable.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Mapping

from orchestration.feeds.base import (MS_RANGE, S_RANGE, Dataset, Row, Window, check_range, cli, epoch_ms, field,
                                      html_summary, integer, just_ended, load_json, looks_html, ms_time, number,
                                      require_list, to_ms, utc_today)
from orchestration.feeds.http import HttpRequest, HttpResponse, ProviderSpec

API = "https://open-api-v4.coinglass.com"
SYMBOL = "BTC"
INTERVAL = "1d"
DAY_MS = 86_400_000
LIMIT = 1000  # rows per history page (CoinGlass's documented maximum)
HISTORY_START = date(2020, 2, 27)  # first day of CoinGlass's aggregated BTC history [unverified]
EXCHANGE_LIST = "Binance,OKX,Bybit,Deribit,dYdX"  # the venues the project lands, in CoinGlass's spelling
HEATMAP_MODEL = "model2"
HEATMAP_RANGE = "3d"
SNAPSHOT_GRACE = timedelta(hours=6)  # a day's heatmap snapshot: taken in [day end, day end + 6 h)
PLAN_HINT = "API key missing/invalid or plan does not include this endpoint/interval"
# plausible epoch instants: 2009-01-01 .. 2100-01-01 (the two ranges cannot overlap)


def _code(response: HttpResponse) -> str | None:
    code = response.json_object().get("code")
    return None if code is None else str(code)


def _rate_limited(response: HttpResponse) -> bool:
    """CoinGlass may say "slow down" in the body (code 429) as well as with HTTP 429."""
    return _code(response) == "429"


PROVIDER = ProviderSpec("coinglass", requests_per_second=0.5, api_key_env="COINGLASS_API_KEY",
                        api_key_header="CG-API-KEY", rate_limited=_rate_limited, key_required=True)


class CoinglassDataset(Dataset):
    provider = PROVIDER

    def provider_error(self, payload: Any) -> str | None:
        """An error is a ``code`` other than "0", also with HTTP 200."""
        code = payload.get("code") if isinstance(payload, dict) else None
        if code is None or (not isinstance(code, bool) and str(code) == "0"):
            return None
        return f"CoinGlass error {code}: {payload.get('msg')!r}"

    def hint(self, response: HttpResponse) -> str:
        code = response.json_object().get("code")
        statuses = {response.status, None if code is None else str(code)}
        if statuses & {401, 403, "401", "403"}:
            return PLAN_HINT
        return "rate limited" if statuses & {429, "429"} else ""

    def data(self, body: bytes) -> Any:
        """The ``data`` of a successful envelope (HTML and non-JSON bodies named as such)."""
        if looks_html(body):
            raise self.parse_error(f"payload is {html_summary(body)}")
        payload = load_json(self, body)
        if not isinstance(payload, dict) or "code" not in payload:
            raise self.parse_error(f"expected a CoinGlass envelope {{code, msg, data}}, got {payload!r:.160}")
        if isinstance(payload["code"], bool) or str(payload["code"]) != "0":
            raise self.parse_error(f"CoinGlass error {payload['code']}: {payload.get('msg')!r}")
        if "data" not in payload:
            raise self.parse_error(f"envelope has no 'data': {payload!r:.160}")
        return payload["data"]

    def check_symbol(self, record: Mapping[str, Any], where: str) -> None:
        """Where the payload echoes the instrument, it must be ours."""
        if isinstance(record, Mapping):
            self.instrument(record, "symbol", SYMBOL, where=where, optional=True)


# --- history endpoints ---------------------------------------------------------------------------------------

class History(CoinglassDataset):
    """A daily-bar history endpoint, paged forward with ``start_time`` (see the module docstring)."""

    time_column = "time"
    path: str
    params: Mapping[str, str] = {}
    first_day = HISTORY_START
    limit = LIMIT

    def servable(self, day: date, now: datetime) -> bool:
        return self.first_day <= day <= utc_today(now)

    def _request(self, start_ms: int, end_ms: int) -> HttpRequest:
        return HttpRequest("GET", f"{API}{self.path}", {
            "symbol": SYMBOL, "interval": INTERVAL, **self.params, "start_time": str(start_ms),
            "end_time": str(end_ms), "limit": str(self.limit)})

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        days = self.servable_days(window, now)
        if not days:
            return []
        span = Window(days[0], days[-1])
        return [self._request(span.start_ms, span.end_ms - 1)]  # end_time inclusive

    def next_request(self, request: HttpRequest, rows: list[Row], window: Window) -> HttpRequest | None:
        """Forward: the bar after the last one received, until ``end_time``; an empty page ends the chain.
        A page holding bars before its ``start_time`` did not advance (CoinGlass ignored the cursor)."""
        if not rows:
            return None
        start, end = int(request.params["start_time"]), int(request.params["end_time"])
        times = [to_ms(row["time"]) for row in rows]
        if min(times) < start:
            raise self.parse_error(f"page holds bars before its start_time={start} ({ms_time(min(times))}): "
                                   "CoinGlass ignored the cursor; the page does not advance")
        check_range(self, [row["time"] for row in rows], start, end, "start_time..end_time", "bar")
        following = max(times) + DAY_MS
        if following > end:
            return None
        return HttpRequest(request.method, request.url, {**request.params, "start_time": str(following)})

    def bar_time(self, record: Mapping[str, Any], where: str) -> datetime:
        ms = to_ms(field(self, record, "time", epoch_ms, where=where))
        if ms % DAY_MS:
            raise self.parse_error(f"field 'time'{where} = {ms} ({ms_time(ms)}) is not 00:00 UTC: not a daily bar")
        return ms_time(ms)

    def values(self, record: Mapping[str, Any], where: str) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, body: bytes) -> list[Row]:
        rows, seen = [], set()
        for i, record in enumerate(require_list(self, self.data(body), "data")):
            where = f" in data[{i}]"
            if not isinstance(record, Mapping):
                raise self.parse_error(f"expected an object{where}, got {type(record).__name__}: {record!r:.80}")
            self.check_symbol(record, where)
            row = self.values(record, where)
            if row["time"] in seen:
                raise self.parse_error(f"duplicate bar {row['time']}{where}")
            seen.add(row["time"])
            rows.append(row)
        return rows


class OhlcHistory(History):
    unit: str  # column suffix

    def values(self, record, where):
        """The close is required; open/high/low may be absent (null): recorded daily exports of CoinGlass kept
        the close only, and the models read the close."""
        return {"symbol": SYMBOL, "time": self.bar_time(record, where), "interval": INTERVAL,
                **{f"{k}_{self.unit}": field(self, record, k, number, where=where, optional=k != "close")
                   for k in ("open", "high", "low", "close")}}


class OpenInterestAggregated(OhlcHistory):
    """``/api/futures/open-interest/aggregated-history``: BTC futures OI over ALL exchanges CoinGlass tracks
    (CME and venues the project does not land included), in USD (``unit=usd``), OHLC per UTC day; a daily
    bar's close is the level at the end of that day."""

    name = "oi_aggregated"
    path = "/api/futures/open-interest/aggregated-history"
    params = {"unit": "usd"}
    unit = "usd"
    columns = {"symbol": "VARCHAR", "time": "TIMESTAMP", "interval": "VARCHAR", "open_usd": "DOUBLE",
               "high_usd": "DOUBLE", "low_usd": "DOUBLE", "close_usd": "DOUBLE"}
    nullable = frozenset({"open_usd", "high_usd", "low_usd"})


class FundingOiWeighted(OhlcHistory):
    """``/api/futures/funding-rate/oi-weight-history``: OI-weighted funding over all exchanges, OHLC per UTC
    day, in **percent** per 8 h (0.01 = 0.01 %) [unverified], landed as given."""

    name = "funding_oi_weighted"
    path = "/api/futures/funding-rate/oi-weight-history"
    unit = "pct"
    columns = {"symbol": "VARCHAR", "time": "TIMESTAMP", "interval": "VARCHAR", "open_pct": "DOUBLE",
               "high_pct": "DOUBLE", "low_pct": "DOUBLE", "close_pct": "DOUBLE"}
    nullable = frozenset({"open_pct", "high_pct", "low_pct"})


class Liquidations(History):
    """``/api/futures/liquidation/aggregated-history``: long and short liquidations (USD per UTC day) summed
    over ``exchange_list`` (the five venues the project lands), as CoinGlass collected them. The latest days
    may still be incomplete when first served; the daily re-landing picks up the revision."""

    name = "liquidations"
    path = "/api/futures/liquidation/aggregated-history"
    # CoinGlass's liquidation history has holes (a collection outage is never back-filled): a day the history
    # lacks is the provider's gap, recorded as no_rows (the cross-check reads single_source), not a failure
    rows_every_day = False
    params = {"exchange_list": EXCHANGE_LIST}
    columns = {"symbol": "VARCHAR", "exchange_list": "VARCHAR", "time": "TIMESTAMP", "interval": "VARCHAR",
               "long_usd": "DOUBLE", "short_usd": "DOUBLE"}

    def values(self, record, where):
        return {"symbol": SYMBOL, "exchange_list": EXCHANGE_LIST, "time": self.bar_time(record, where),
                "interval": INTERVAL,
                "long_usd": field(self, record, "aggregated_long_liquidation_usd", number, where=where),
                "short_usd": field(self, record, "aggregated_short_liquidation_usd", number, where=where)}


# --- liquidation heatmap snapshot ----------------------------------------------------------------------------

class LiquidationHeatmap(CoinglassDataset):
    """``/api/futures/liquidation/aggregated-heatmap/model2?range=3d``: where CoinGlass's model puts the
    liquidation levels now. One row per price level with a non-zero amount (zero levels dropped): the amount
    summed over the x axis (time of position entry), with the snapshot's last price."""

    name = "liquidation_heatmap"
    time_column = "snapshot_ts"
    columns = {"symbol": "VARCHAR", "model": "VARCHAR", "range": "VARCHAR", "snapshot_ts": "TIMESTAMP",
               "price_usd": "DOUBLE", "liquidation_usd": "DOUBLE", "last_price_usd": "DOUBLE"}

    def servable(self, day: date, now: datetime) -> bool:
        return just_ended(day, now, SNAPSHOT_GRACE)

    def requests(self, window: Window, now: datetime) -> list[HttpRequest]:
        if not self.servable_days(window, now):
            return []
        return [HttpRequest("GET", f"{API}/api/futures/liquidation/aggregated-heatmap/{HEATMAP_MODEL}",
                            {"symbol": SYMBOL, "range": HEATMAP_RANGE})]

    def partition_times(self, frame):
        import pandas as pd

        return pd.to_datetime(frame["snapshot_ts"]) - SNAPSHOT_GRACE

    def snapshot_time(self, data: Mapping[str, Any]) -> datetime:
        """``update_time`` in ms or s, told apart by magnitude; a value in neither plausible range is refused."""
        value = field(self, data, "update_time", integer, where=" in data")
        if MS_RANGE[0] <= value < MS_RANGE[1]:
            return ms_time(value)
        if S_RANGE[0] <= value < S_RANGE[1]:
            return ms_time(value * 1000)
        raise self.parse_error(f"field 'update_time' in data = {value!r} is neither epoch seconds nor "
                               "milliseconds in 2009..2100: refusing to guess its unit")

    def last_price(self, candles: list) -> float:
        if not candles:
            raise self.parse_error("data.price_candlesticks is empty: no last price")
        previous = None
        for i, candle in enumerate(candles):
            if not isinstance(candle, list) or len(candle) < 5:
                raise self.parse_error(f"price_candlesticks[{i}] should be [t, open, high, low, close, volume], "
                                       f"got {candle!r:.120}")
            t = field(self, {"t": candle[0]}, "t", integer, where=f" in price_candlesticks[{i}]")
            if previous is not None and t < previous:
                raise self.parse_error(f"price_candlesticks[{i}] is earlier than the one before it: the last "
                                       "candlestick would not be the latest")
            previous = t
        close = field(self, {"close": candles[-1][4]}, "close", number,
                      where=f" in price_candlesticks[{len(candles) - 1}]")
        if close <= 0:
            raise self.parse_error(f"last candlestick close {close!r} is not a price")
        return close

    def parse(self, body: bytes) -> list[Row]:
        data = self.data(body)
        if not isinstance(data, dict):
            raise self.parse_error(f"expected data as an object {{y_axis, liquidation_leverage_data, "
                                   f"price_candlesticks, update_time}}, got {data!r:.160}")
        self.check_symbol(data, " in data")
        snapshot = self.snapshot_time(data)
        prices = [field(self, {"y": y}, "y", number, where=f" in y_axis[{i}]")
                  for i, y in enumerate(require_list(self, data.get("y_axis"), "data.y_axis"))]
        if any(p <= 0 for p in prices):
            raise self.parse_error(f"y_axis holds a non-positive price: {min(prices)!r}")
        if len(set(prices)) != len(prices):
            raise self.parse_error("y_axis repeats a price level")
        candles = require_list(self, data.get("price_candlesticks"), "data.price_candlesticks")
        last = self.last_price(candles)
        cells = require_list(self, data.get("liquidation_leverage_data"), "data.liquidation_leverage_data")
        totals: dict[int, float] = {}
        seen: set[tuple[int, int]] = set()
        for i, cell in enumerate(cells):
            where = f" in liquidation_leverage_data[{i}]"
            if not isinstance(cell, list) or len(cell) != 3:
                raise self.parse_error(f"expected [x, y, usd]{where}, got {cell!r:.120}")
            named = dict(zip(("x", "y", "usd"), cell))
            x = field(self, named, "x", integer, where=where)
            y = field(self, named, "y", integer, where=where)
            usd = field(self, named, "usd", number, where=where)
            if not 0 <= x < len(candles):
                raise self.parse_error(f"x index {x}{where} outside the {len(candles)} price candlesticks")
            if not 0 <= y < len(prices):
                raise self.parse_error(f"y index {y}{where} outside the {len(prices)} y_axis levels")
            if usd < 0:
                raise self.parse_error(f"negative liquidation amount {usd!r}{where}")
            if (x, y) in seen:
                raise self.parse_error(f"cell (x={x}, y={y}){where} appears twice: the matrix would count it twice")
            seen.add((x, y))
            totals[y] = totals.get(y, 0.0) + usd
        return [{"symbol": SYMBOL, "model": HEATMAP_MODEL, "range": HEATMAP_RANGE, "snapshot_ts": snapshot,
                 "price_usd": prices[y], "liquidation_usd": usd, "last_price_usd": last}
                for y, usd in sorted(totals.items(), key=lambda item: prices[item[0]]) if usd > 0]


DATASETS: dict[str, Dataset] = {d.name: d for d in (OpenInterestAggregated(), FundingOiWeighted(), Liquidations(),
                                                    LiquidationHeatmap())}

if __name__ == "__main__":
    raise SystemExit(cli(DATASETS))

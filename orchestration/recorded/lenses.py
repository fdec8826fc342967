"""The provider lenses on the recorded world: each is its sample-world lens (routes, parameters, paging, error
dialect, number formats) with the data read from what was recorded instead of derived from a simulation.

Only the part of a lens that produces its provider's numbers is replaced. Where nothing was recorded for what
a request asks (a day, an interval, a series), the lens answers as the provider answers for data it does not
have: an empty list, S3's NoSuchKey, CoinGlass's "no data". Nothing is interpolated or simulated.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import cached_property
from typing import Mapping

import numpy as np

from orchestration.feeds.http import HttpResponse
from orchestration.recorded.files import DAY_MS, HOUR_MS
from orchestration.recorded.world import DAY0, DailyBars, RecordedWorld
from orchestration.sample import (binance, bybit, coinalyze, coinglass, coinmetrics, cryptoquant, defillama, farside,
                                  hyperliquid)
from orchestration.sample.lens import Lens, json_response, window
from orchestration.sample.world import N_HOURS, START_MS


def _nothing(ms: np.ndarray | None = None) -> np.ndarray:
    return np.zeros(0, dtype=np.int64) if ms is None else ms


class RecordedBinanceLens(binance.BinanceLens):
    """Funding as recorded (no mark price: served "" as Binance serves old rows), spot klines from the
    recorded hours (quote volume, trades and taker volumes null: not recorded); no OI archive or history."""

    @cached_property
    def funding_events(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        recorded = self.world.binance_funding
        if recorded is None:
            return _nothing(), np.zeros(0), np.zeros(0)
        times = recorded["time_ms"].to_numpy(np.int64)
        return times, recorded["rate"].to_numpy(float), np.full(len(times), np.nan)

    def metrics_archive(self, _params, now_ms: int, match) -> HttpResponse:
        return binance.no_such_key(f"data/futures/um/daily/metrics/{match['symbol']}/{match['symbol']}-metrics-"
                                   f"{match['day']}.zip")

    def open_interest_hist(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        self.symbol(params)
        return json_response([])

    def existing_bars(self, opens: np.ndarray, step: int) -> np.ndarray:
        """Bars whose every hour was recorded: Binance leaves out the hours it did not trade (its maintenance
        windows), and a page then holds the next bars that exist."""
        first = (opens - START_MS) // HOUR_MS
        hours = first[:, None] + np.arange(step // HOUR_MS)[None, :]
        inside = hours[:, -1] < N_HOURS
        complete = np.zeros(len(opens), dtype=bool)
        complete[inside] = ~np.isnan(self._hours["close"][hours[inside]]).any(axis=1)
        return opens[complete]

    def _klines(self, opens: np.ndarray, step: int, now_ms: int) -> list[list]:
        """OHLC and base volume of the recorded hours; quote volume, trades and taker volumes were not recorded
        and are null. A bar still open at ``now`` is not served (history holds finished bars only)."""
        hours = step // HOUR_MS
        h = self._hours
        out = []
        for t in opens:
            a = int((t - START_MS) // HOUR_MS)
            if START_MS + (a + hours) * HOUR_MS > now_ms:
                continue
            o, hi, lo, c, vol = (h[k][a:a + hours] for k in ("open", "high", "low", "close", "spot_volume_btc"))
            out.append([int(t), binance.f8(o[0]), binance.f8(hi.max()), binance.f8(lo.min()), binance.f8(c[-1]),
                        binance.f8(vol.sum()), int(t) + step - 1, None, None, None, None, "0"])
        return out


class RecordedBybitLens(bybit.BybitLens):
    """Funding settlements as recorded (2021-2023); no OI."""

    @cached_property
    def funding_events(self) -> tuple[np.ndarray, np.ndarray]:
        recorded = self.world.bybit_funding
        if recorded is None:
            return _nothing(), np.zeros(0)
        return recorded["time_ms"].to_numpy(np.int64), recorded["rate"].to_numpy(float)

    def open_interest(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        self._common(params, bybit.OI_LIMIT)
        return bybit.envelope({"symbol": bybit.SYMBOL, "category": bybit.CATEGORY, "list": [],
                               "nextPageCursor": ""}, now_ms)


class RecordedCoinglassLens(coinglass.CoinglassLens):
    """Daily bars of the recorded aggregates (OI, OI-weighted funding, liquidations). Only ``interval=1d`` was
    recorded (as daily bars or as complete days of 4-hourly bars): other intervals answer an empty list. The
    recorded liquidations are Binance + OKX + Bybit's, whatever ``exchange_list`` asks (see the world)."""

    def _days(self, params: Mapping[str, str], now_ms: int, days: np.ndarray) -> np.ndarray:
        """Indices of the recorded days a request gets: bars that began in [start_time, end_time] and ended
        by now, ``limit`` from the start (CoinGlass pages forward)."""
        step, start, end, limit = self.history_params(params)
        if step != 24 or not len(days):
            return np.zeros(0, dtype=np.int64)
        starts = (days.astype("datetime64[ms]").astype(np.int64))
        ended = starts[starts + DAY_MS <= now_ms]
        return window(ended, start, end, limit)

    def _bars(self, params: Mapping[str, str], now_ms: int, bars: DailyBars | None) -> HttpResponse:
        picked = self._days(params, now_ms, bars.days if bars is not None else np.zeros(0, "datetime64[D]"))
        rows = []
        for i in picked:
            row = {"time": int(bars.days[i].astype("datetime64[ms]").astype(np.int64))}
            for name in ("open", "high", "low", "close"):
                value = getattr(bars, name)[i]
                if np.isfinite(value):  # the daily export kept the close only
                    row[name] = repr(float(value))
            rows.append(row)
        return coinglass.envelope(rows)

    def oi_history(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        if (params.get("unit", "usd") or "usd") != "usd":
            return coinglass.envelope([])  # only the USD series was recorded
        return self._bars(params, now_ms, self.world.coinglass_oi)

    def funding_history(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        return self._bars(params, now_ms, self.world.coinglass_funding)

    def liquidation_history(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        self.liquidation_venues(params)
        recorded = self.world.coinglass_liquidations
        days = np.array([] if recorded is None else list(recorded["date"]), dtype="datetime64[D]")
        picked = self._days(params, now_ms, days)
        return coinglass.envelope([
            {"time": int(days[i].astype("datetime64[ms]").astype(np.int64)),
             "aggregated_long_liquidation_usd": float(recorded["liq_long_usd"].iat[i]),
             "aggregated_short_liquidation_usd": float(recorded["liq_short_usd"].iat[i])} for i in picked])

    def heatmap(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        self.symbol(params)
        raise coinglass.fail("500", "no data")  # no heatmap snapshot was recorded


class RecordedCoinalyzeLens(coinalyze.CoinalyzeLens):
    """Hyperliquid's (``BTCUSD_PERP.H``) daily OI in USD as recorded (CoinGlass's per-exchange file, see the world);
    every other symbol, interval or unit, and every funding and liquidation history, answers an empty history."""

    def open_interest(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        symbols, step, starts = self._params(params, now_ms, coinalyze.FIRST_BAR_MS)
        bars = self.world.hyperliquid_oi
        usd = params.get("convert_to_usd", "false") == "true"
        rows: list[dict] = []
        if bars is not None and usd and step == DAY_MS:
            day_ms = bars.days.astype("datetime64[ms]").astype(np.int64)
            for i in np.flatnonzero(np.isin(day_ms, starts) & (day_ms + DAY_MS <= now_ms)):
                rows.append({"t": int(day_ms[i] // 1000), "o": float(bars.open[i]), "h": float(bars.high[i]),
                             "l": float(bars.low[i]), "c": float(bars.close[i])})
        return json_response([{"symbol": s, "history": rows if coinalyze.SYMBOLS[s] == "hyperliquid" else []}
                              for s in symbols])

    def funding(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        symbols, _step, starts = self._params(params, now_ms, coinalyze.FIRST_BAR_MS)
        return self._answer(symbols, starts, lambda venue, picked: None)

    def liquidations(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        return self.funding(params, now_ms, _match)


class RecordedHyperliquidLens(hyperliquid.HyperliquidLens):
    """The OI snapshot from the recorded level (see the world); no funding was recorded: ``fundingHistory``
    answers an empty list, as Hyperliquid does for a range with no settlement."""

    def funding_history(self, start: int, end: int, now_ms: int) -> list[dict]:
        return []

    def meta_and_asset_ctxs(self, now_ms: int) -> list:
        snapshot = self.world.hyperliquid_snapshot(now_ms)
        if snapshot is None:
            return [{"universe": []}, []]  # no level recorded near now: no BTC context to show
        _instant, oi_btc, price = snapshot
        return [{"universe": hyperliquid.UNIVERSE[:1]}, [{"openInterest": f"{oi_btc:.5f}", "markPx": f"{price:.1f}"}]]


class RecordedFarsideLens(farside.FarsideLens):
    """The recorded page, byte for byte."""

    def all_data(self, params, now_ms: int, _match) -> HttpResponse:
        page = self.world.farside_page
        if page is None:
            return farside.html_response(farside.NOT_FOUND, 404)
        return HttpResponse(200, page, {"Content-Type": "text/html; charset=UTF-8"})


class RecordedDaily:
    """For the daily lenses: only days with a recorded value of ``column`` exist."""

    column_held: str

    def days(self, first_ms: int, last_ms: int, now_ms: int, *, in_progress: bool = False) -> np.ndarray:
        days = super().days(first_ms, last_ms, now_ms, in_progress=in_progress)
        return days[np.isfinite(self.daily[self.column_held].to_numpy(float)[days])]


class RecordedDefillamaLens(RecordedDaily, defillama.DefillamaLens):
    """The total USD supply as recorded (the per-peg and unit breakdowns were not)."""

    column_held = "stablecoin_supply_usd"

    def chart(self, params: Mapping[str, str], now_ms: int, _match) -> HttpResponse:
        days = self.days(0, now_ms, now_ms, in_progress=True)
        usd = self.column("stablecoin_supply_usd")[days]
        return json_response([{"date": str(int(t)), "totalCirculatingUSD": {"peggedUSD": float(v)}}
                              for t, v in zip(self.day_ms(days) // 1000, usd)])


class RecordedCryptoquantLens(RecordedDaily, cryptoquant.CryptoquantLens):
    """The reserve (BTC) as recorded; its USD value, the netflow and the leverage ratio were not recorded."""

    column_held = "reserve_btc"
    fields = {"exchange-flows/reserve": {"reserve": ("reserve_btc", 3)}}

    def __init__(self, world: RecordedWorld):
        Lens.__init__(self, world)
        self.daily = world.daily
        self.route(cryptoquant.HOST, r"/v1/btc/(?P<path>[a-z-]+/[a-z-]+)", self.series)

    def series(self, params: Mapping[str, str], now_ms: int, match) -> HttpResponse:
        if match["path"] in cryptoquant.SERIES and match["path"] not in self.fields:
            return json_response({"status": {"code": 200, "message": "success"},
                                  "result": {"window": "DAY", "data": []}})
        return super().series(params, now_ms, match)


class RecordedCoinmetricsLens(coinmetrics.CoinmetricsLens):
    """The excerpt's rows, each metric's text exactly as CoinMetrics wrote it (a metric a row lacks is left
    out of that row, as the API does)."""

    def __init__(self, world: RecordedWorld):
        super().__init__(world)
        rows = world.coinmetrics_rows
        self.text = {} if rows is None else {
            (d - DAY0).days: rec for d, rec in zip(rows["date"], rows.to_dict("records"))}

    def days(self, first_ms: int, last_ms: int, now_ms: int, *, in_progress: bool = False) -> np.ndarray:
        days = coinmetrics.DailyLens.days(first_ms, last_ms, now_ms, in_progress=in_progress)
        return days[np.isin(days, list(self.text))]

    def _rows(self, page: np.ndarray, metrics: list[str]) -> list[dict]:
        out = []
        for i in page:
            record = self.text[int(i)]
            stamp = datetime.fromtimestamp(int(self.day_ms([i])[0]) / 1000, tz=timezone.utc)
            out.append({"asset": "btc", "time": stamp.strftime("%Y-%m-%dT%H:%M:%S.000000000Z"),
                        **{m: record[m] for m in metrics if record.get(m)}})
        return out


#: host -> recorded lens; a provider with no recorded lens holds no day (landing never asks it)
RECORDED_LENSES: tuple[type[Lens], ...] = (RecordedBinanceLens, RecordedBybitLens, RecordedCoinglassLens,
                                           RecordedFarsideLens, RecordedDefillamaLens, RecordedCryptoquantLens,
                                           RecordedCoinmetricsLens, RecordedCoinalyzeLens, RecordedHyperliquidLens)

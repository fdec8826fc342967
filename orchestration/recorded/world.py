"""The recorded world: real recorded series (a folder laid out like ``../shared/realdata``) behind the provider
lenses, for the span each covers.

Where the sample world simulates one market that every lens derives its provider's numbers from, the recorded
world holds what providers actually published (Binance's funding rates, CoinGlass's aggregates, the Farside
page, ...). It offers the lenses the same things the sample world does (``hourly`` on the same hourly grid,
``daily`` on the same daily grid, ``seed``), with NaN wherever nothing was recorded, plus each provider's
published series as recorded. What a file does not hold is never filled in: :meth:`RecordedWorld.days_held`
tells landing which days a provider dataset has at all, and the days it lacks land ``unavailable``.

Which file feeds which dataset (``../shared/design/recorded.md``):

- binance/funding: the 2020-2026 Binance funding file (8-hourly, epoch ms, fraction per 8 h);
- binance/spot_klines: the hourly spot file (OHLC and base volume; quote volume, trades and taker volumes were
  not recorded and are served as null), Binance's rows only (up to 2026-07-02);
- bybit/funding: the 2021-2023 Bybit file (naive UTC+3 stamps, shifted to UTC);
- coinglass/oi_aggregated and coinglass/funding_oi_weighted: the daily export (close only: open/high/low were
  not recorded), and after it ends the 4-hourly OHLC bars aggregated into complete UTC days (all six bars);
- coinglass/liquidations: the daily export, which covers Binance, OKX and Bybit only (the connector asks for
  five venues; Deribit and dYdX are absent from these figures);
- farside/flows: the real page of 2025-10-14, served byte for byte;
- defillama/stablecoin_supply: the total USD supply (6 significant digits);
- cryptoquant/exchange_reserve: BTC on all exchanges (``reserve`` only: its USD value was not recorded);
- coinmetrics/asset_metrics: the five event windows of the excerpt, the provider's text served verbatim;
- Hyperliquid, from the HYPERLIQUID column of CoinGlass's per-exchange OI file (USD, the level at each 4-hourly
  instant, 2025-05-15..11-14 with a gap 09-11..09-18): coinalyze/open_interest serves ``BTCUSD_PERP.H`` only, as
  daily USD bars of the UTC days whose seven levels (00:00 .. 24:00) were all recorded (open the 00:00 level,
  high/low the extremes of the seven, close the level at the day's end, as CoinGlass's own 4-hourly bars close);
  the other venues' symbols, Coinalyze's funding and liquidations answer empty histories. hyperliquid/open_interest: the
  ``metaAndAssetCtxs`` snapshot at a recorded level no older than 4 h, ``openInterest`` = the USD level / the
  recorded price at that instant (the hourly spot file's open of that hour), ``markPx`` that price (no oracle or
  premium was recorded: ``oraclePx`` and the other fields are left out); it holds the days whose end was
  recorded. hyperliquid/funding was not recorded: ``fundingHistory`` answers an empty list.

Every other dataset (venue OI, OKX/Deribit/dYdX, CFTC, Glassnode, SoSoValue, CryptoQuant's netflow and leverage
ratio, CoinGlass's heatmap) holds no day.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.recorded import files
from orchestration.recorded.files import DAY_MS, HOUR_MS, LAYOUT, Layout, RecordedFileError
from orchestration.sample.world import N_HOURS, START, START_MS

DAY0 = date(2020, 1, 1)
N_DAYS = N_HOURS // 24
_FARSIDE_DAY = re.compile(r">\s*(\d{1,2} [A-Z][a-z]{2} \d{4})\s*<")


def _day_index(days) -> np.ndarray:
    return np.array([(d - DAY0).days for d in days], dtype=np.int64)


def ms_day(ms) -> list[date]:
    """UTC days of epoch-ms instants."""
    return [DAY0 + timedelta(days=int(d)) for d in (np.asarray(ms, dtype=np.int64) - START_MS) // DAY_MS]


@dataclass(frozen=True)
class DailyBars:
    """A provider's daily bars as recorded: by UTC day, open/high/low possibly unrecorded (NaN)."""

    days: np.ndarray  # datetime64[D], ascending
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    def held(self) -> frozenset[date]:
        return frozenset(d.item() for d in self.days)


def daily_bars(daily: pd.DataFrame, column: str, four_hourly: pd.DataFrame | None) -> DailyBars:
    """The daily export's close where it has one; after its last day, the days for which all six 4-hourly bars
    were recorded, aggregated as CoinGlass aggregates bars (first open, max high, min low, last close)."""
    own = daily.dropna(subset=[column])
    days = list(own["date"])
    opens, highs, lows, closes = [np.full(len(own), np.nan)] * 3 + [own[column].to_numpy(float)]
    if four_hourly is not None and len(four_hourly):
        bars = four_hourly.assign(day=ms_day(four_hourly["time_ms"]))
        last = max(days) if days else date.min
        bars = bars[bars["day"] > last]
        grouped = bars.groupby("day", sort=True)
        full = grouped.filter(lambda g: len(g) == 6).groupby("day", sort=True)
        agg = full.agg(open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last"))
        days += list(agg.index)
        opens = np.concatenate([opens, agg["open"].to_numpy(float)])
        highs = np.concatenate([highs, agg["high"].to_numpy(float)])
        lows = np.concatenate([lows, agg["low"].to_numpy(float)])
        closes = np.concatenate([closes, agg["close"].to_numpy(float)])
    return DailyBars(np.array(days, dtype="datetime64[D]"), opens, highs, lows, closes)


@dataclass(eq=False)
class RecordedWorld:
    """The recorded series of ``root``, loaded lazily (each file once) and strictly (``files``)."""

    root: Path
    layout: Layout = LAYOUT
    seed: int = 0  # lenses derive deterministic details from a world's seed; the recorded world has none to vary
    _cache: dict = field(default_factory=dict)

    def path(self, name: str) -> Path:
        return self.root / getattr(self.layout, name)

    def has(self, name: str) -> bool:
        return self.path(name).exists()

    def _load(self, name: str, reader, *args):
        if name not in self._cache:
            self._cache[name] = reader(self.path(name), *args) if self.has(name) else None
        return self._cache[name]

    # -- provider series, as published ----------------------------------------------------------------
    @property
    def binance_funding(self) -> pd.DataFrame | None:
        return self._load("binance_funding", files.binance_funding)

    @property
    def bybit_funding(self) -> pd.DataFrame | None:
        return self._load("bybit_funding", files.bybit_funding)

    @property
    def spot_hourly(self) -> pd.DataFrame | None:
        return self._load("spot_hourly", files.spot_hourly)

    @property
    def coinglass_daily(self) -> pd.DataFrame | None:
        return self._load("coinglass_daily", files.coinglass_daily)

    def _coinglass_bars(self, column: str, four_hourly: str, prefix: str) -> DailyBars | None:
        daily = self.coinglass_daily
        bars_4h = self._load(four_hourly, files.coinglass_4h, prefix)
        if daily is None and bars_4h is None:
            return None
        empty = pd.DataFrame({"date": pd.Series(dtype=object), column: pd.Series(dtype=float)})
        return daily_bars(daily if daily is not None else empty, column, bars_4h)

    @cached_property
    def coinglass_oi(self) -> DailyBars | None:
        """All-exchange OI (USD), daily bars."""
        return self._coinglass_bars("oi_usd", "coinglass_oi_4h", "oi")

    @cached_property
    def coinglass_funding(self) -> DailyBars | None:
        """OI-weighted funding (PERCENT per 8 h), daily bars."""
        return self._coinglass_bars("funding_pct", "coinglass_funding_4h", "fr")

    @property
    def hyperliquid_oi_4h(self) -> pd.DataFrame | None:
        """Hyperliquid's OI levels (USD) at CoinGlass's 4-hourly instants, as recorded."""
        return self._load("coinglass_oi_by_exchange_4h", files.oi_by_exchange, "HYPERLIQUID")

    @cached_property
    def hyperliquid_oi(self) -> DailyBars | None:
        """Hyperliquid's OI (USD), daily bars of the UTC days whose seven 4-hourly levels (00:00 .. the next
        00:00) were all recorded: open the first, high/low the extremes, close the level at the day's end."""
        levels = self.hyperliquid_oi_4h
        if levels is None:
            return None
        usd = dict(zip(levels["time_ms"].to_numpy(np.int64).tolist(), levels["usd"].to_numpy(float).tolist()))
        days, rows = [], []
        for day_ms in sorted({t - t % DAY_MS for t in usd}):
            seven = [usd.get(day_ms + k * 4 * HOUR_MS) for k in range(7)]
            if None not in seven:
                days.append(np.datetime64(day_ms, "ms").astype("datetime64[D]"))
                rows.append((seven[0], max(seven), min(seven), seven[-1]))
        o, h, lo, c = (np.array([r[i] for r in rows], dtype=float) for i in range(4))
        return DailyBars(np.array(days, dtype="datetime64[D]"), o, h, lo, c)

    def hyperliquid_snapshot(self, now_ms: int) -> tuple[int, float, float] | None:
        """(instant, OI in BTC, price) of the latest recorded Hyperliquid level at most 4 h before ``now_ms``
        whose instant's price was recorded, else None."""
        levels = self.hyperliquid_oi_4h
        if levels is None:
            return None
        times = levels["time_ms"].to_numpy(np.int64)
        i = int(np.searchsorted(times, now_ms, side="right")) - 1
        if i < 0 or now_ms - times[i] >= 4 * HOUR_MS:
            return None
        hour = (int(times[i]) - START_MS) // HOUR_MS
        price = float(self.hourly["open"].iat[hour]) if 0 <= hour < N_HOURS else float("nan")
        if not np.isfinite(price):
            return None
        return int(times[i]), float(levels["usd"].iat[i]) / price, price

    @property
    def coinglass_liquidations(self) -> pd.DataFrame | None:
        """Binance + OKX + Bybit long/short liquidations (USD) per UTC day, days with a figure only."""
        daily = self.coinglass_daily
        return None if daily is None else daily.dropna(subset=["liq_long_usd", "liq_short_usd"]).reset_index(drop=True)

    @property
    def farside_page(self) -> bytes | None:
        return self._load("farside_page", files.raw_bytes)

    @property
    def coinmetrics_rows(self) -> pd.DataFrame | None:
        return self._load("coinmetrics_excerpt", files.coinmetrics_excerpt)

    # -- what the sample world offers, on its grids --------------------------------------------------------
    @cached_property
    def hourly(self) -> pd.DataFrame:
        """The sample world's hourly grid (2020-01-01 on) with the recorded spot candles; NaN elsewhere."""
        frame = pd.DataFrame({"ts": START.astype("datetime64[ns]") + np.arange(N_HOURS).astype("timedelta64[h]")})
        for column in ("open", "high", "low", "close", "spot_volume_btc"):
            frame[column] = np.nan
        spot = self.spot_hourly
        if spot is not None:
            k = (spot["time_ms"].to_numpy(np.int64) - START_MS) // HOUR_MS
            keep = (k >= 0) & (k < N_HOURS)
            for column, source in (("open", "open"), ("high", "high"), ("low", "low"), ("close", "close"),
                                   ("spot_volume_btc", "volume")):
                frame.loc[k[keep], column] = spot[source].to_numpy(float)[keep]
        return frame

    @cached_property
    def daily(self) -> pd.DataFrame:
        """The sample world's daily grid (2020-01-01 on, as ``sample.onchain``) with the recorded daily
        on-chain and stablecoin values; NaN elsewhere."""
        frame = pd.DataFrame({"date": [DAY0 + timedelta(days=i) for i in range(N_DAYS)]})
        for column, name, reader in (("reserve_btc", "cryptoquant_reserve", files.cryptoquant_reserve),
                                     ("stablecoin_supply_usd", "defillama_supply", files.defillama_supply)):
            frame[column] = np.nan
            values = self._load(name, reader)
            if values is not None:
                k = _day_index(values["date"])
                keep = (k >= 0) & (k < N_DAYS)
                frame.loc[k[keep], column] = values["value"].to_numpy(float)[keep]
        return frame

    # -- which days each provider dataset holds -------------------------------------------------------------
    def days_held(self, provider: str, dataset: str) -> frozenset[date]:
        """The UTC days for which anything was recorded for ``provider/dataset`` (empty: nothing recorded)."""
        key = f"{provider}/{dataset}"
        if key not in self._cache:
            self._cache[key] = frozenset(self._held(key))
        return self._cache[key]

    def _held(self, key: str):
        if key == "binance/funding" and self.binance_funding is not None:
            return ms_day(self.binance_funding["time_ms"])
        if key == "bybit/funding" and self.bybit_funding is not None:
            return ms_day(self.bybit_funding["time_ms"])
        if key == "binance/spot_klines" and self.spot_hourly is not None:
            return ms_day(self.spot_hourly["time_ms"])
        if key == "coinglass/oi_aggregated" and self.coinglass_oi is not None:
            return self.coinglass_oi.held()
        if key == "coinglass/funding_oi_weighted" and self.coinglass_funding is not None:
            return self.coinglass_funding.held()
        if key == "coinglass/liquidations" and self.coinglass_liquidations is not None:
            return self.coinglass_liquidations["date"]
        if key == "farside/flows" and self.farside_page is not None:
            return self.farside_days()
        if key == "defillama/stablecoin_supply":
            return self.daily["date"][self.daily["stablecoin_supply_usd"].notna()]
        if key == "cryptoquant/exchange_reserve":
            return self.daily["date"][self.daily["reserve_btc"].notna()]
        if key == "coinmetrics/asset_metrics" and self.coinmetrics_rows is not None:
            return self.coinmetrics_rows["date"]
        if key in ("coinalyze/open_interest", "hyperliquid/open_interest") and self.hyperliquid_oi is not None:
            return self.hyperliquid_oi.held()
        return ()

    def farside_days(self) -> list[date]:
        """Every calendar day from the page's first to its last dated row (weekends and holidays have no row
        on the page: the feed lands them ``no_rows``, as it does live)."""
        text = self.farside_page.decode("utf-8", errors="replace")
        days = sorted({datetime.strptime(m, "%d %b %Y").date() for m in _FARSIDE_DAY.findall(text)})
        if not days:
            raise RecordedFileError(self.path("farside_page"), None, "holds no dated row (not Farside's page?)")
        return [days[0] + timedelta(days=i) for i in range((days[-1] - days[0]).days + 1)]

    def span(self) -> tuple[date, date] | None:
        """The span the default window covers: the days of recorded all-exchange OI, the series the leverage
        condition cannot do without (None when the folder holds none)."""
        held = self.days_held("coinglass", "oi_aggregated")
        return (min(held), max(held)) if held else None


@lru_cache(maxsize=4)
def recorded_world(root: str) -> RecordedWorld:
    """One recorded world per folder and process (its files are read once)."""
    folder = Path(root).resolve()
    if not folder.is_dir():
        raise RecordedFileError(folder, None, "is not a folder (LC_RECORDED_DIR should name a folder laid out like "
                                              "../shared/realdata)")
    return RecordedWorld(folder)

"""Strict readers of the recorded files (a folder laid out like ``../shared/realdata``), one per file layout.

Each reader returns a typed frame with the file's own values, in the file's units, with UTC time stamps; the
recorded world (``orchestration.recorded.world``) turns them into what each provider serves. Loading is as
strict as the connectors' parsers: a row that does not read (a missing field, text where a number belongs, a
bool, NaN), a time stamp off its grid or a repeated key raises :class:`RecordedFileError` naming the file and
the line. Nothing is filled in: an empty field stays missing (NaN).
"""
from __future__ import annotations

import csv
import gzip
import io
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from orchestration.feeds.base import epoch_ms, integer, number, utc_time

HOUR_MS = 3_600_000
DAY_MS = 86_400_000


class RecordedFileError(ValueError):
    """A recorded file that cannot be read as documented: names the file and the line."""

    def __init__(self, path: Path, line: int | None, message: str):
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"recorded file {where}: {message}")
        self.path, self.line = path, line


@dataclass(frozen=True)
class Layout:
    """Where each recorded series lives inside the recorded folder (``LC_RECORDED_DIR``)."""

    binance_funding: str = "funding/binance_btcusdt_funding_2020-01-01_2026-09-30.csv"
    bybit_funding: str = "funding/BTC-USDT_bybit_2021-01-01_2024-01-01_funding_history.csv"
    spot_hourly: str = "price/binance_btcusdt_spot_1h.csv.gz"
    coinglass_daily: str = "coinglass/btc_daily_oi_liq_funding.csv"
    coinglass_oi_4h: str = "coinglass/btc_oi_aggregated_all_exchanges_4h_usd.csv"
    coinglass_funding_4h: str = "coinglass/btc_funding_oi_weighted_4h_pct.csv"
    coinglass_oi_by_exchange_4h: str = "coinglass/btc_oi_by_exchange_4h_usd.csv"
    farside_page: str = "farside_html/farside_bitcoin_etf_flow_all_data_2025-10-14.html"
    defillama_supply: str = "defillama/defillama_total_stablecoin_supply_dylanlayden.csv"
    cryptoquant_reserve: str = "cryptoquant/exchange_reserves.csv"
    coinmetrics_excerpt: str = "coinmetrics/btc_event_windows_excerpt.csv"


LAYOUT = Layout()
# The hourly spot file mixes in another venue's bars after this day (its README): they are not Binance's.
SPOT_LAST_BINANCE_DAY = date(2026, 7, 2)
# The Bybit (and older Binance) funding exports write naive UTC+3 stamps (their README): subtract 3 h.
UTC_PLUS_3 = timedelta(hours=3)


def _open_text(path: Path) -> io.TextIOBase:
    if not path.exists():
        raise RecordedFileError(path, None, "not found")
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise RecordedFileError(path, None, f"is not readable gzip data ({exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordedFileError(path, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return io.StringIO(text)


def _rows(path: Path, header: list[str], *, skip_lines: int = 0, extra_ok: bool = False
          ) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, record) of a CSV whose header must start with ``header`` (exactly, unless ``extra_ok``)."""
    handle = _open_text(path)
    for _ in range(skip_lines):
        handle.readline()
    reader = csv.reader(handle)
    found = next(reader, None)
    if found is None:
        raise RecordedFileError(path, skip_lines + 1, "is empty: no header")
    names = [name.strip() for name in found]
    if (names[:len(header)] if extra_ok else names) != header:
        raise RecordedFileError(path, skip_lines + 1, f"header {names} is not the documented {header}")
    for line, values in enumerate(reader, start=skip_lines + 2):
        if not values:
            continue
        if len(values) != len(names):
            raise RecordedFileError(path, line, f"has {len(values)} fields, the header {len(names)}")
        yield line, dict(zip(names, values))


def _header(path: Path) -> list[str]:
    """The file's own header, for layouts whose columns are read by name (CoinGlass 4 h, CoinMetrics)."""
    return next(csv.reader(_open_text(path)), [])


def _read(path: Path, line: int, name: str, value: str, convert: Callable, *, optional: bool = False):
    """``convert(value)`` for the field ``name``; an empty field is None where ``optional``."""
    if value.strip() == "":
        if optional:
            return None
        raise RecordedFileError(path, line, f"field {name!r} is empty")
    try:
        result = convert(value.strip())
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise RecordedFileError(path, line, f"field {name!r} = {value!r} does not read: {exc}") from exc
    if isinstance(result, float) and not math.isfinite(result):
        raise RecordedFileError(path, line, f"field {name!r} = {value!r} is not finite")
    return result


def _unique(path: Path, seen: dict, key, line: int) -> None:
    if key in seen:
        raise RecordedFileError(path, line, f"repeats {key} (first on line {seen[key]})")
    seen[key] = line


def _iso_day(value: str) -> date:
    return date.fromisoformat(value)


def _dotted_day(value: str) -> date:
    """CryptoQuant's export writes days as ``YYYY.M.D``."""
    parts = value.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError("expected YYYY.M.D")
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def _naive_utc3(value: str) -> datetime:
    """A naive ``YYYY-MM-DD HH:MM:SS`` stamp written in UTC+3, as UTC (naive)."""
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S") - UTC_PLUS_3


def _ms(moment: datetime) -> int:
    return int(moment.replace(tzinfo=timezone.utc).timestamp() * 1000)


# --- the readers -------------------------------------------------------------------------------------------

def binance_funding(path: Path) -> pd.DataFrame:
    """``funding_time`` (epoch ms, a few ms past the hour), ``funding_interval_hours``, ``funding_rate``
    (fraction per interval). Every settlement must lie within 1 s of its interval's grid."""
    out, seen = [], {}
    for line, rec in _rows(path, ["funding_time", "funding_interval_hours", "funding_rate"]):
        ms = _read(path, line, "funding_time", rec["funding_time"], integer)
        _read(path, line, "funding_time", rec["funding_time"], epoch_ms)  # a plausible instant in ms
        hours = _read(path, line, "funding_interval_hours", rec["funding_interval_hours"], integer)
        rate = _read(path, line, "funding_rate", rec["funding_rate"], number)
        if hours not in (1, 2, 4, 8) or ms % (hours * HOUR_MS) >= 1000:
            raise RecordedFileError(path, line, f"funding_time {ms} is not on the {hours} h settlement grid")
        _unique(path, seen, ms - ms % 1000, line)
        out.append((ms, hours, rate))
    frame = pd.DataFrame(out, columns=["time_ms", "interval_hours", "rate"])
    return _ascending(path, frame, "time_ms")


def bybit_funding(path: Path) -> pd.DataFrame:
    """``Symbol`` (BTC-USDT), ``Date`` (naive UTC+3), ``Funding Rate`` (fraction per 8 h), as UTC ms."""
    out, seen = [], {}
    for line, rec in _rows(path, ["Symbol", "Date", "Funding Rate"]):
        if rec["Symbol"] != "BTC-USDT":
            raise RecordedFileError(path, line, f"symbol {rec['Symbol']!r} is not BTC-USDT")
        moment = _read(path, line, "Date", rec["Date"], _naive_utc3)
        ms = _ms(moment)
        if ms % (8 * HOUR_MS):
            raise RecordedFileError(path, line, f"{moment} UTC is not a Bybit 8 h settlement (00/08/16 UTC)")
        _unique(path, seen, ms, line)
        out.append((ms, _read(path, line, "Funding Rate", rec["Funding Rate"], number)))
    return _ascending(path, pd.DataFrame(out, columns=["time_ms", "rate"]), "time_ms")


def spot_hourly(path: Path) -> pd.DataFrame:
    """``ts`` (bar open, ISO with +00:00), OHLC (USDT), ``volume`` (BTC); Binance's rows only (up to
    ``SPOT_LAST_BINANCE_DAY``). Missing hours stay missing."""
    out, seen = [], {}
    for line, rec in _rows(path, ["ts", "open", "high", "low", "close", "volume"]):
        moment = _read(path, line, "ts", rec["ts"], utc_time)
        if moment.date() > SPOT_LAST_BINANCE_DAY:
            break
        ms = _ms(moment)
        if ms % HOUR_MS:
            raise RecordedFileError(path, line, f"ts {rec['ts']} is not an hour's start")
        _unique(path, seen, ms, line)
        values = [_read(path, line, k, rec[k], number) for k in ("open", "high", "low", "close", "volume")]
        o, h, lo, c, v = values
        if not (lo <= min(o, c) and max(o, c) <= h and lo > 0 and v >= 0):
            raise RecordedFileError(path, line, f"bar {values} is not a candle (low <= open, close <= high)")
        out.append((ms, *values))
    return _ascending(path, pd.DataFrame(out, columns=["time_ms", "open", "high", "low", "close", "volume"]),
                      "time_ms")


def coinglass_daily(path: Path) -> pd.DataFrame:
    """One row per UTC day: all-exchange OI close (USD), Binance+OKX+Bybit long/short liquidations (USD) and
    the OI-weighted funding close (PERCENT per 8 h). Liquidations before their first non-zero day are the
    export's zero padding (no data, not "no liquidations"): missing here."""
    header = ["date_utc", "oi_all_exchanges_close_usd", "oi_stablecoin_margined_binance_okx_bybit_close_btc",
              "oi_coin_margined_binance_okx_bybit_close_usd", "liq_long_usd_binance_okx_bybit",
              "liq_short_usd_binance_okx_bybit", "funding_oi_weighted_close_pct"]
    out, seen = [], {}
    for line, rec in _rows(path, header):
        day = _read(path, line, "date_utc", rec["date_utc"], _iso_day)
        _unique(path, seen, day, line)
        out.append((day, *(_read(path, line, k, rec[k], number, optional=True) for k in (
            "oi_all_exchanges_close_usd", "liq_long_usd_binance_okx_bybit", "liq_short_usd_binance_okx_bybit",
            "funding_oi_weighted_close_pct"))))
    frame = _ascending(path, pd.DataFrame(out, columns=["date", "oi_usd", "liq_long_usd", "liq_short_usd",
                                                        "funding_pct"]), "date")
    padded = (frame["liq_long_usd"].fillna(0) + frame["liq_short_usd"].fillna(0)).gt(0).cummax()
    frame.loc[~padded, ["liq_long_usd", "liq_short_usd"]] = np.nan
    frame.loc[frame["oi_usd"].le(0), "oi_usd"] = np.nan
    return frame


def coinglass_4h(path: Path, prefix: str) -> pd.DataFrame:
    """A CoinGlass 4 h OHLC export (``time_utc, time_ms, <prefix>_open_<unit>, ..._close_<unit>, ...``):
    ``time_ms`` (bar start) must equal ``time_utc`` and lie on the 4 h grid."""
    handle_header = _header(path)
    value_columns = [c for c in handle_header if c.startswith(prefix + "_")][:4]
    names = ["time_utc", "time_ms", *value_columns]
    if [c.split("_")[1] for c in value_columns] != ["open", "high", "low", "close"]:
        raise RecordedFileError(path, 1, f"expected {prefix}_open/high/low/close columns, header {handle_header}")
    out, seen = [], {}
    for line, rec in _rows(path, names, extra_ok=True):
        ms = _four_hourly_ms(path, line, rec, seen)
        out.append((ms, *(_read(path, line, c, rec[c], number) for c in value_columns)))
    return _ascending(path, pd.DataFrame(out, columns=["time_ms", "open", "high", "low", "close"]), "time_ms")


def _four_hourly_ms(path: Path, line: int, rec: dict[str, str], seen: dict) -> int:
    """A CoinGlass 4 h row's ``time_ms``, which must equal its ``time_utc``, lie on the 4 h grid and not repeat."""
    ms = _read(path, line, "time_ms", rec["time_ms"], integer)
    stamp = _read(path, line, "time_utc", rec["time_utc"], utc_time)
    if _ms(stamp) != ms or ms % (4 * HOUR_MS):
        raise RecordedFileError(path, line, f"time_ms {ms} and time_utc {rec['time_utc']} disagree or are off "
                                            "the 4 h grid")
    _unique(path, seen, ms, line)
    return ms


def oi_by_exchange(path: Path, exchange: str) -> pd.DataFrame:
    """One exchange's column of CoinGlass's per-exchange OI export (``time_utc, time_ms, BINANCE, ..., HYPERLIQUID,
    ...``, USD, the level AT ``time_utc``): ``time_ms``, ``usd``. An empty field is a level not recorded: left out."""
    header = _header(path)
    if header[:2] != ["time_utc", "time_ms"] or exchange not in header:
        raise RecordedFileError(path, 1, f"expected time_utc, time_ms and a {exchange} column, header {header}")
    out, seen = [], {}
    for line, rec in _rows(path, header):
        ms = _four_hourly_ms(path, line, rec, seen)
        value = _read(path, line, exchange, rec[exchange], number, optional=True)
        if value is not None:
            out.append((ms, value))
    return _ascending(path, pd.DataFrame(out, columns=["time_ms", "usd"]), "time_ms")


def daily_value(path: Path, header: list[str], day_column: str, value_column: str,
                read_day: Callable[[str], date], required: dict[str, str] | None = None) -> pd.DataFrame:
    """A one-value-per-day export (DefiLlama's supply, CryptoQuant's reserve): ``date``, ``value``;
    ``required`` fields must hold the given text on every row."""
    out, seen = [], {}
    for line, rec in _rows(path, header):
        for name, expected in (required or {}).items():
            if rec[name] != expected:
                raise RecordedFileError(path, line, f"{name} {rec[name]!r} is not {expected!r}")
        day = _read(path, line, day_column, rec[day_column], read_day)
        _unique(path, seen, day, line)
        out.append((day, _read(path, line, value_column, rec[value_column], number)))
    return _ascending(path, pd.DataFrame(out, columns=["date", "value"]), "date")


def defillama_supply(path: Path) -> pd.DataFrame:
    return daily_value(path, ["as_of", "value", "status"], "as_of", "value", _iso_day, {"status": "ok"})


def cryptoquant_reserve(path: Path) -> pd.DataFrame:
    return daily_value(path, ["Date", "Data"], "Date", "Data", _dotted_day)


def coinmetrics_excerpt(path: Path) -> pd.DataFrame:
    """CoinMetrics community rows, verbatim text per metric (numbers as the provider writes them), by day."""
    handle_header = _header(path)
    if not handle_header or handle_header[0] != "time":
        raise RecordedFileError(path, 1, f"expected a CoinMetrics export starting with 'time', got {handle_header[:3]}")
    out, seen = [], {}
    for line, rec in _rows(path, handle_header):
        day = _read(path, line, "time", rec["time"], _iso_day)
        _unique(path, seen, day, line)
        out.append({"date": day, **{k: v for k, v in rec.items() if k and k != "time"}})
    return _ascending(path, pd.DataFrame(out), "date")


def raw_bytes(path: Path) -> bytes:
    if not path.exists():
        raise RecordedFileError(path, None, "not found")
    return path.read_bytes()


def _ascending(path: Path, frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows in ascending key order (newest-first exports are sorted, never deduplicated silently)."""
    return frame.sort_values(key, kind="stable").reset_index(drop=True)

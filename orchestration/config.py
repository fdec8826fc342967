"""Configuration, read only from the environment (documented in the README), and validated here, in one place.

Every setting is checked before anything runs: a value that cannot be used raises :class:`ConfigError`, which
names the variable, the value, what is allowed and what to do, so the command line can say it in one line.
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from orchestration.days import Window

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
PARTITIONS_START = date(2021, 1, 1)  # the first landing partition's first day (partitions are years: a 1 January)
MODES = ("sample", "recorded", "live")
#: the engines dbt builds on (LC_DBT_TARGET; profiles.yml reads the same variable, default duckdb)
DBT_TARGETS = ("duckdb", "spark")
#: the report page, written beside the snapshot in published/ (orchestration.report.build)
REPORT_FILE = "report.html"
#: where recorded mode reads its files by default: the shared real data beside the project
DEFAULT_RECORDED_DIR = PROJECT_ROOT.parent / "shared" / "realdata"


class ConfigError(ValueError):
    """A setting that cannot be used. ``setting`` is how the user wrote it (``LC_START_DATE`` or ``--start``),
    ``value`` what they gave, ``problem`` what is wrong with it, ``allowed`` what would be accepted and
    ``remedy`` what to do; ``str()`` is the one line the command line prints."""

    def __init__(self, setting: str, value: object, problem: str, allowed: str, remedy: str):
        self.setting, self.value, self.problem, self.allowed, self.remedy = setting, value, problem, allowed, remedy
        super().__init__(f"{shown(setting, value)} {problem}: {allowed}; {remedy}")


def shown(setting: str, value: object) -> str:
    """A setting as the user wrote it: ``LC_END_DATE=2030-01-01`` or ``--end 2030-01-01``."""
    return f"{setting} {value}" if setting.startswith("-") else f"{setting}={value}"


def latest_complete_day(now: datetime | None = None) -> date:
    now = now or datetime.now(timezone.utc)
    return now.date() - timedelta(days=1)


def every_day(now: datetime | None = None) -> Window:
    """Every day that can be landed: from the first partition to the latest complete day. The window of a run
    given none (:func:`default_window`, and a marts run launched without window tags, ``partitions.run_window``)."""
    return Window(PARTITIONS_START, latest_complete_day(now))


@dataclass(frozen=True)
class Settings:
    mode: str  # LC_MODE: sample (default, offline) | recorded (real recorded history, offline) | live
    start_date: date  # LC_START_DATE: first day of the default window
    end_date: date  # LC_END_DATE: last day of the default window (default: latest complete UTC day)
    warehouse_dir: Path  # LC_WAREHOUSE_DIR: DuckDB file, raw payloads, published snapshots
    recorded_dir: Path = DEFAULT_RECORDED_DIR  # LC_RECORDED_DIR: the recorded files (recorded mode)

    @property
    def window(self) -> Window:
        return Window(self.start_date, self.end_date)

    @property
    def published_dir(self) -> Path:
        """Where BI tools read (the rest of the warehouse layout is ``resources.WarehouseResource``'s)."""
        return self.warehouse_dir / "published"


@dataclass(frozen=True)
class _Day:
    """One end of the window and where it came from, for the messages."""

    setting: str | None  # LC_START_DATE / --start; None: the default
    value: date
    default_note: str = ""  # what the default is, when it is one

    @property
    def described(self) -> str:
        return shown(self.setting, self.value) if self.setting else f"{self.value} ({self.default_note})"


def parse_day(setting: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(setting, text, "is not a date", "days are written YYYY-MM-DD",
                          "use e.g. 2021-03-01") from None


def recorded_dir() -> Path:
    return Path(os.environ.get("LC_RECORDED_DIR") or DEFAULT_RECORDED_DIR).resolve()


def cache_dir() -> Path:
    """Derived files that depend only on installed versions (the report's bundled chart library), shared by
    every warehouse on the machine: ``LC_CACHE_DIR``, else ``$XDG_CACHE_HOME/leverage-condition``, else
    ``~/.cache/leverage-condition``."""
    if os.environ.get("LC_CACHE_DIR"):
        return Path(os.environ["LC_CACHE_DIR"]).resolve()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).resolve() / "leverage-condition"


def pinned_time(text: str) -> datetime:
    """An ``LC_SAMPLE_NOW`` value as a moment (UTC when it names no zone)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError("LC_SAMPLE_NOW", text, "is not a timestamp",
                          "it is ISO 8601, e.g. 2024-08-16T00:30:00+00:00",
                          "fix it, or unset it to use the current time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def sample_now() -> datetime | None:
    """``LC_SAMPLE_NOW``, the offline worlds' pinned clock, or None when unset."""
    text = os.environ.get("LC_SAMPLE_NOW", "").strip()
    return pinned_time(text) if text else None


def feeds_now(mode: str) -> datetime:
    """The clock the feeds are read against: ``LC_SAMPLE_NOW`` in the offline modes when set, else now."""
    pinned = sample_now() if mode != "live" else None
    return pinned or datetime.now(timezone.utc)


def default_window(mode: str, folder: Path, now: datetime | None = None) -> Window:
    """The window when none is given: every day (:func:`every_day`), or in recorded mode the span of the
    recorded data (its all-exchange OI), from the first partition on."""
    if mode != "recorded":
        return every_day(now)
    from orchestration.recorded.files import RecordedFileError
    from orchestration.recorded.world import recorded_world

    try:
        span = recorded_world(str(folder)).span()
    except RecordedFileError as exc:
        raise ConfigError("LC_RECORDED_DIR", folder, "holds a file recorded mode cannot read", str(exc),
                          "fix or remove that file, or use LC_MODE=sample") from None
    if span is None:
        raise ConfigError("LC_RECORDED_DIR", folder, "holds no recorded all-exchange OI",
                          "its span (coinglass/btc_daily_oi_liq_funding.csv) is the default window",
                          "set LC_START_DATE and LC_END_DATE, or point LC_RECORDED_DIR at a folder laid out like "
                          "../shared/realdata")
    return Window(max(span[0], PARTITIONS_START), span[1])


def _mode() -> str:
    text = os.environ.get("LC_MODE", "")
    mode = text.strip().lower() or "sample"
    if mode not in MODES:
        raise ConfigError("LC_MODE", text, "is not a mode",
                          "the modes are sample (offline, the default), recorded (real history, offline) and live",
                          "set one of them, or unset LC_MODE")
    return mode


def dbt_target() -> str:
    """``LC_DBT_TARGET``: the engine dbt builds on, the one setting profiles.yml's ``target:`` reads too."""
    text = os.environ.get("LC_DBT_TARGET", "")
    target = text.strip().lower() or "duckdb"
    if target not in DBT_TARGETS:
        raise ConfigError("LC_DBT_TARGET", text, "is not a dbt target",
                          "the targets are duckdb (the default) and spark", "set one of them, or unset LC_DBT_TARGET")
    return target


_SWITCH = {"on": True, "true": True, "1": True, "yes": True, "off": False, "false": False, "0": False, "no": False}


def lake_enabled() -> bool:
    """``LC_LAKE`` (off | on): whether landing also keeps the raw layer as Parquet, one file per table and day
    (``orchestration.lake``), for another engine to read (the dbt Spark target). Off by default: a six-year
    history is ~54,000 day files, which took longer to write than the landing itself (61 s against 25 s on
    the 2-core machine), for files no DuckDB build reads."""
    text = os.environ.get("LC_LAKE", "")
    if not text.strip():
        return False
    if text.strip().lower() not in _SWITCH:
        raise ConfigError("LC_LAKE", text, "is not a switch", "it is on or off (default off)",
                          "set LC_LAKE=on to keep the Parquet lake, or unset it")
    return _SWITCH[text.strip().lower()]


def _folder(setting: str, default: Path, what: str, remedy: str) -> Path:
    folder = Path(os.environ.get(setting) or default).resolve()
    if folder.exists() and not folder.is_dir():
        raise ConfigError(setting, folder, "is a file, not a folder", what, remedy)
    return folder


def window(mode: str, folder: Path, start: tuple[str, str] | None = None, end: tuple[str, str] | None = None,
           now: datetime | None = None) -> tuple[date, date]:
    """The window to run: ``start``/``end`` as (setting, text) pairs, e.g. ``("--start", "2024-01-01")``, else
    ``LC_START_DATE``/``LC_END_DATE``, else the default window; every rule about it checked here.

    Recorded mode accepts days beyond its recorded span: they land ``unavailable`` (nothing was recorded for
    them), as a live provider's days beyond its history do."""
    now = now or feeds_now(mode)
    latest = latest_complete_day(now)

    def given(pair, variable):
        if pair is not None:
            return pair
        text = os.environ.get(variable, "").strip()
        return (variable, text) if text else None

    start, end = given(start, "LC_START_DATE"), given(end, "LC_END_DATE")
    default = None if start and end else default_window(mode, folder, now)
    span_note = "the end of the recorded span" if mode == "recorded" else "the latest complete UTC day"
    lo = _Day(start[0], parse_day(*start)) if start else _Day(None, default.start, "the first partition")
    hi = _Day(end[0], parse_day(*end)) if end else _Day(None, default.end, f"{span_note}, the default end")
    if hi.setting and hi.value > latest:
        clock = "by LC_SAMPLE_NOW" if mode != "live" and sample_now() else "now"
        raise ConfigError(hi.setting, hi.value, "is after the latest complete UTC day",
                          f"that is {latest} ({clock}); days that have not ended cannot be landed",
                          f"set {shown(hi.setting, latest)} or earlier"
                          + ("" if hi.setting.startswith("-") else f", or unset {hi.setting}"))
    if lo.value < PARTITIONS_START:
        raise ConfigError(lo.setting or "LC_START_DATE", lo.value, "is before the first partition",
                          f"days from {PARTITIONS_START} on can be landed",
                          f"set {shown(lo.setting or 'LC_START_DATE', PARTITIONS_START)} or later")
    if lo.value > hi.value:
        setting = lo.setting or hi.setting
        value = lo.value if lo.setting else hi.value
        other = hi if lo.setting else lo
        problem = f"is after {other.described}" if lo.setting else f"is before {other.described}"
        remedy = (f"set {lo.setting} on or before {hi.value}" if lo.setting
                  else f"set {hi.setting} on or after {lo.value}")
        raise ConfigError(setting, value, problem, "a window runs from its first day to its last", remedy)
    return lo.value, hi.value


def settings(start: tuple[str, str] | None = None, end: tuple[str, str] | None = None) -> Settings:
    """Every setting, validated (``start``/``end``: the command line's ``--start``/``--end``, see :func:`window`);
    raises :class:`ConfigError` on the first that cannot be used."""
    mode = _mode()
    if dbt_target() == "spark":
        # dbt on Spark reads the raw layer from the Parquet lake, in a local pyspark (requirements-spark.lock)
        if not lake_enabled():
            raise ConfigError("LC_DBT_TARGET", os.environ["LC_DBT_TARGET"], "reads the raw tables from the Parquet lake",
                              "the landing writes it only with LC_LAKE=on", "set LC_LAKE=on, or unset LC_DBT_TARGET")
        if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
            raise ConfigError("LC_DBT_TARGET", os.environ["LC_DBT_TARGET"], "needs pyspark and dbt-spark",
                              "they are not installed in this environment",
                              "run make test-spark once (it installs requirements-spark.lock), or unset LC_DBT_TARGET")
    folder = _folder("LC_RECORDED_DIR", DEFAULT_RECORDED_DIR, "recorded mode reads a folder laid out like "
                     "../shared/realdata", "point LC_RECORDED_DIR at one")
    if mode == "recorded" and not folder.is_dir():
        raise ConfigError("LC_RECORDED_DIR", folder, "does not exist",
                          "recorded mode reads a folder laid out like ../shared/realdata",
                          "point LC_RECORDED_DIR at one, or use LC_MODE=sample (offline, no files needed)")
    first, last = window(mode, folder, start, end)
    return Settings(mode, first, last, warehouse_dir(), folder)


def warehouse_dir() -> Path:
    """``LC_WAREHOUSE_DIR``, else ``./warehouse`` of the project."""
    return _folder("LC_WAREHOUSE_DIR", PROJECT_ROOT / "warehouse", "the warehouse is a folder (created when "
                   "missing) for the DuckDB file, raw payloads and published snapshots",
                   "point LC_WAREHOUSE_DIR at a folder")

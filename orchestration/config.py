"""Configuration, read only from the environment (documented in the README)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
PARTITIONS_START = date(2021, 1, 1)  # first landing partition
MODES = ("sample", "recorded", "live")
#: where recorded mode reads its files by default: the shared real data beside the project
DEFAULT_RECORDED_DIR = PROJECT_ROOT.parent / "shared" / "realdata"


def latest_complete_day(now: datetime | None = None) -> date:
    now = now or datetime.now(timezone.utc)
    return now.date() - timedelta(days=1)


@dataclass(frozen=True)
class Settings:
    mode: str  # LC_MODE: sample (default, offline) | recorded (real recorded history, offline) | live
    start_date: date  # LC_START_DATE: first day of the default window
    end_date: date  # LC_END_DATE: last day of the default window (default: latest complete UTC day)
    warehouse_dir: Path  # LC_WAREHOUSE_DIR: DuckDB file, raw payloads, published snapshots
    recorded_dir: Path = DEFAULT_RECORDED_DIR  # LC_RECORDED_DIR: the recorded files (recorded mode)

    @property
    def published_dir(self) -> Path:
        """Where BI tools read (the rest of the warehouse layout is ``resources.WarehouseResource``'s)."""
        return self.warehouse_dir / "published"


def _date(name: str, default: date) -> date:
    value = os.environ.get(name)
    try:
        return date.fromisoformat(value) if value else default
    except ValueError as exc:
        raise ValueError(f"{name}={value!r} is not an ISO date (YYYY-MM-DD)") from exc


def recorded_dir() -> Path:
    return Path(os.environ.get("LC_RECORDED_DIR") or DEFAULT_RECORDED_DIR).resolve()


def default_window(mode: str, folder: Path) -> tuple[date, date]:
    """The window when none is given: from the first partition to the latest complete day, or in recorded mode
    the span of the recorded data (its all-exchange OI), from the first partition on."""
    if mode != "recorded":
        return PARTITIONS_START, latest_complete_day()
    from orchestration.recorded.world import recorded_world

    span = recorded_world(str(folder)).span()
    if span is None:
        raise ValueError(f"LC_RECORDED_DIR={folder} holds no recorded all-exchange OI "
                         "(coinglass/btc_daily_oi_liq_funding.csv): set LC_START_DATE and LC_END_DATE")
    return max(span[0], PARTITIONS_START), span[1]


def settings() -> Settings:
    mode = os.environ.get("LC_MODE", "sample").strip().lower()
    if mode not in MODES:
        raise ValueError(f"LC_MODE={mode!r}: expected one of {', '.join(MODES)}")
    folder = recorded_dir()
    if mode == "recorded" and not folder.is_dir():
        raise ValueError(f"LC_MODE=recorded reads LC_RECORDED_DIR={folder}, which is not a folder: point it at a "
                         "folder laid out like ../shared/realdata")
    given = os.environ.get("LC_START_DATE") and os.environ.get("LC_END_DATE")
    first, last = (None, None) if given else default_window(mode, folder)
    end = _date("LC_END_DATE", last)
    start = _date("LC_START_DATE", first)
    if start < PARTITIONS_START or start > end:
        raise ValueError(f"window {start}..{end} must lie within {PARTITIONS_START}..{end}")
    warehouse = Path(os.environ.get("LC_WAREHOUSE_DIR", PROJECT_ROOT / "warehouse")).resolve()
    return Settings(mode, start, end, warehouse, folder)

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
MODES = ("sample", "live")


def latest_complete_day(now: datetime | None = None) -> date:
    now = now or datetime.now(timezone.utc)
    return now.date() - timedelta(days=1)


@dataclass(frozen=True)
class Settings:
    mode: str  # LC_MODE: sample (default, offline) | live
    start_date: date  # LC_START_DATE: first day of the default window
    end_date: date  # LC_END_DATE: last day of the default window (default: latest complete UTC day)
    warehouse_dir: Path  # LC_WAREHOUSE_DIR: DuckDB file, raw payloads, published snapshots

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


def settings() -> Settings:
    mode = os.environ.get("LC_MODE", "sample").strip().lower()
    if mode not in MODES:
        raise ValueError(f"LC_MODE={mode!r}: expected one of {', '.join(MODES)}")
    end = _date("LC_END_DATE", latest_complete_day())
    start = _date("LC_START_DATE", PARTITIONS_START)
    if start < PARTITIONS_START or start > end:
        raise ValueError(f"window {start}..{end} must lie within {PARTITIONS_START}..{end}")
    warehouse = Path(os.environ.get("LC_WAREHOUSE_DIR", PROJECT_ROOT / "warehouse")).resolve()
    return Settings(mode, start, end, warehouse)

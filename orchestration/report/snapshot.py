"""Read the published snapshot (never the working database): the gated tables a report may show.

A table an older snapshot does not hold is listed in ``missing``, so its section can say so instead of failing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

# the published tables the report reads (the exposure `report` in dbt_project/models/exposures.yml lists them)
REPORT_TABLES = ("leverage_condition", "cascade_event_study", "cascade_condition_lift", "sizing_backtest",
                 "sizing_backtest_daily", "venue_daily", "int_liquidations__daily",
                 "int_derivatives__aggregator_check", "int_etf_flows__reconciled", "landing_status")


@dataclass
class Snapshot:
    path: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)


def read_snapshot(published_dir: Path, tables: tuple[str, ...] = REPORT_TABLES) -> Snapshot:
    """Every table of ``tables`` the snapshot holds, read-only; the mart itself is required."""
    import duckdb

    path = Path(published_dir) / "marts.duckdb"
    if not path.exists():
        raise FileNotFoundError(f"no published snapshot at {path}: run `make run` first")
    con = duckdb.connect(str(path), read_only=True)
    try:
        present = {row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_catalog = current_database()").fetchall()}
        snapshot = Snapshot(path)
        for name in tables:
            if name in present:
                snapshot.tables[name] = con.execute(f'select * from "{name}"').df()
            else:
                snapshot.missing.append(name)
    finally:
        con.close()
    if "leverage_condition" not in snapshot.tables:
        raise ValueError(f"{path} holds no leverage_condition table: not a published snapshot of this project")
    return within_the_marts_days(snapshot)


def within_the_marts_days(snapshot: Snapshot) -> Snapshot:
    """Day-grain tables cut to the mart's first..last day: the page is about the mart's days, while some tables
    also hold the trailing history landed before the window (funding's year, OI's 90 days), which would start
    their charts months before the others."""
    days = snapshot.tables["leverage_condition"]["date"]
    first, last = days.min(), days.max()
    for name, frame in snapshot.tables.items():
        if "date" in frame.columns and len(frame):
            snapshot.tables[name] = frame[(frame["date"] >= first) & (frame["date"] <= last)].reset_index(drop=True)
    return snapshot

"""Funding normalisation across venues on REAL recorded data (skipped when /work/shared/realdata is absent).

Binance BTCUSDT settles every 8 h, dYdX every hour. Loaded into a temporary DuckDB as raw.binance__funding
and raw.dydx__funding (every other raw table the dbt project reads exists but is empty, as after a failed
feed: ``raw_store.create_raw_tables``), the dbt models must put both on one 8 h basis (funding_8h = rate x 8
/ interval_h). Checked: dYdX's funding_8h is exactly its hourly rate x 8, Binance's is its 8-hourly rate,
and the two venues' daily means over 2022-2023 agree in sign on at least 70 % of the days (both non-zero)
and in scale (median |ratio| within 0.25..4). A missed x 8 would put the median ratio near 1/8 and fail.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration.feeds.registry import datasets
from orchestration.raw_store import create_raw_tables

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = ROOT / "dbt_project"
DBT = ROOT / ".venv" / "bin" / "dbt"

BINANCE_CSV = "funding/BTC-USDT_binance_2020-01-01_2024-01-01_funding_history.csv"
DYDX_CSV = "funding/BTC-USDT_dydx_2022-01-01_2024-01-01_funding_history.csv"
START, END = "2022-01-01", "2024-01-01"

SIGN_AGREEMENT_MIN = 0.70
RATIO_RANGE = (0.25, 4.0)

def _load(db: Path, realdata: Path) -> None:
    con = duckdb.connect(str(db))
    create_raw_tables(con, datasets())  # every raw table the dbt project reads, as landing creates them
    # Binance: naive UTC+3 in the file -> subtract 3 h
    con.execute(
        """
        insert into raw.binance__funding by name
        select cast(t as date) as partition_date, 'BTCUSDT' as symbol, t as funding_time, rate as funding_rate,
            sha256(cast(t as varchar)) as payload_sha256
        from (
            select cast("Date" as timestamp) - interval 3 hour as t, "Funding Rate" as rate
            from read_csv(?, header = true, columns = {'Symbol': 'varchar', 'Date': 'varchar', 'Funding Rate': 'double'})
        )
        where t >= ? and t < ?
        """,
        [str(realdata / BINANCE_CSV), START, END],
    )
    # dYdX (v3 history, treated as the dydx venue): hourly, UTC
    con.execute(
        """
        insert into raw.dydx__funding by name
        select cast(t as date) as partition_date, 'BTC-USD' as ticker, t as effective_at, rate,
            sha256(cast(t as varchar)) as payload_sha256
        from (
            select cast("Date" as timestamp) as t, "Funding Rate" as rate
            from read_csv(?, header = true, columns = {'Symbol': 'varchar', 'Date': 'varchar', 'Funding Rate': 'double'})
        )
        where t >= ? and t < ?
        """,
        [str(realdata / DYDX_CSV), START, END],
    )
    con.close()


@pytest.mark.realdata
def test_hourly_and_8_hourly_funding_agree_on_one_basis(realdata: Path, tmp_path: Path):
    for rel in (BINANCE_CSV, DYDX_CSV):
        if not (realdata / rel).is_file():
            pytest.skip(f"{rel} not in the real recorded data")
    db = tmp_path / "funding.duckdb"
    _load(db, realdata)

    env = {**os.environ, "LC_DUCKDB_PATH": str(db)}
    cmd = [
        str(DBT), "run", "--profiles-dir", str(DBT_PROJECT), "--project-dir", str(DBT_PROJECT),
        "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
        # the staging views venue_hourly reads (all cheap) and the model itself
        "--select", "+int_derivatives__venue_hourly",
    ]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]

    con = duckdb.connect(str(db), read_only=True)
    # exact normalisation in every hour a settlement is in force: dydx funding_8h = rate x 8, binance = rate
    exact = con.execute(
        """
        select v.venue, count(*) as n,
            max(abs(v.funding_8h - f.funding_rate * 8.0 / f.funding_interval_hours)) as max_err,
            max(abs(v.funding_8h - f.funding_rate * case v.venue when 'dydx' then 8 else 1 end)) as max_err_direct,
            min(v.funding_interval_hours) as min_ih, max(v.funding_interval_hours) as max_ih
        from main.int_derivatives__venue_hourly v
        join (
            select 'dydx' as venue, funding_time, funding_rate, funding_interval_hours from main.stg_dydx__funding
            union all
            select 'binance', funding_time, funding_rate, funding_interval_hours from main.stg_binance__funding
        ) f on v.venue = f.venue and v.funding_settled_at = f.funding_time
        group by 1 order by 1
        """
    ).df().set_index("venue")
    assert set(exact.index) == {"binance", "dydx"}
    assert exact.loc["dydx", "n"] > 15_000 and exact.loc["binance", "n"] > 15_000
    assert (exact["max_err"] < 1e-11).all() and (exact["max_err_direct"] < 1e-11).all()
    assert exact.loc["dydx", "min_ih"] == exact.loc["dydx", "max_ih"] == 1
    assert exact.loc["binance", "min_ih"] == exact.loc["binance", "max_ih"] == 8

    daily = con.execute(
        """
        select cast(hour as date) as day, venue, avg(funding_8h) as f8
        from main.int_derivatives__venue_hourly
        where venue in ('binance', 'dydx') and hour >= ? and hour < ?
        group by 1, 2
        """,
        [START, END],
    ).df()
    con.close()
    wide = daily.pivot(index="day", columns="venue", values="f8").dropna()
    assert len(wide) > 600, f"only {len(wide)} days with both venues"
    both = wide[(wide["binance"] != 0) & (wide["dydx"] != 0)]
    sign_agreement = float((both["binance"].gt(0) == both["dydx"].gt(0)).mean())
    ratio = float((both["dydx"] / both["binance"]).abs().median())
    print(f"days {len(both)}, sign agreement {sign_agreement:.3f}, median |dydx / binance| {ratio:.3f}")
    assert sign_agreement >= SIGN_AGREEMENT_MIN, f"sign agreement {sign_agreement:.2f}"
    assert RATIO_RANGE[0] <= ratio <= RATIO_RANGE[1], f"median |dydx / binance| = {ratio:.3f}"

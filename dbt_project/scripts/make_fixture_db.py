"""Create a throwaway DuckDB with the three raw Binance tables filled by SQL, for manual dbt checks.

Usage: python dbt_project/scripts/make_fixture_db.py /tmp/dbtcheck.duckdb [days] [end_date]
Deterministic (hash-based noise). Archive 5m OI rows for older days, API 1h rows for the last 30 days
(with a 3-day overlap), a few dropped hours to exercise data_completeness. Not used by the test suite.
"""
from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb


def build(path: str, days: int = 500, end: date = date(2026, 5, 31)) -> None:
    start = end - timedelta(days=days - 1)
    api_from = end - timedelta(days=29)
    Path(path).unlink(missing_ok=True)
    con = duckdb.connect(path)
    con.execute("create schema raw")
    # hourly latent world: uniform noise u(i, k) from hashes, normal-ish = sum of 3 uniforms
    con.execute(f"""
    create temp table world as
    with h as (
        select i, timestamp '{start}' + to_hours(i) as hour
        from range(0, {days * 24}) t(i)
    ), n as (
        select i, hour,
            ((hash(i, 1) % 10000) / 10000.0 + (hash(i, 2) % 10000) / 10000.0
             + (hash(i, 3) % 10000) / 10000.0 - 1.5) as z_price,
            ((hash(i, 4) % 10000) / 10000.0 + (hash(i, 5) % 10000) / 10000.0
             + (hash(i, 6) % 10000) / 10000.0 - 1.5) as z_oi,
            (hash(i, 7) % 10000) / 10000.0 as u
        from h
    )
    select i, hour, u,
        60000 * exp(sum(z_price * 0.006) over (order by i)) as price,
        -- funding build-up episodes: a slow wave; above a threshold funding rises
        sin(i / 24.0 / 37.0) + 0.6 * sin(i / 24.0 / 11.0) as wave,
        85000 * exp(sum(z_oi * 0.003) over (order by i) + 0.08 * sin(i / 24.0 / 37.0)) as oi_btc
    from n
    """)
    con.execute("""
    create table raw.binance__funding as
    select cast(hour as date) as partition_date, 'BTCUSDT' as symbol, hour as funding_time,
        case when wave > 1.1 then round(0.0001 + 0.0004 * (wave - 1.1) + 0.0001 * u, 6)
             when wave < -1.2 then round(-0.00005 * u, 6)
             when u > 0.85 then round(0.0001 + 0.00005 * u, 6)
             else 0.0001 end as funding_rate,
        case when u > 0.02 then round(price, 2) end as mark_price,
        sha256('f' || i) as payload_sha256
    from world where hour(hour) % 8 = 0 and u > 0.005
    """)
    con.execute(f"""
    create table raw.binance__open_interest as
    with five as (
        select w.hour + to_minutes(m) as ts, w.oi_btc * (1 + 0.0005 * sin(m)) as oi, w.price
        from world w, range(0, 60, 5) t(m)
        where cast(w.hour as date) < date '{api_from}' + 3 and w.u > 0.01
    )
    select cast(ts as date) as partition_date, 'BTCUSDT' as symbol, ts, '5m' as period,
        round(oi, 3) as sum_open_interest, round(oi * price, 2) as sum_open_interest_value,
        'archive' as source, sha256('a' || cast(cast(ts as date) as varchar)) as payload_sha256
    from five
    union all
    select cast(hour as date), 'BTCUSDT', hour, '1h', round(oi_btc, 3), round(oi_btc * price, 2),
        'api', sha256('p' || cast(cast(hour as date) as varchar))
    from world where cast(hour as date) >= date '{api_from}' and u < 0.995
    """)
    con.execute("""
    create table raw.binance__spot_klines as
    select cast(hour as date) as partition_date, 'BTCUSDT' as symbol, '1h' as interval,
        hour as open_time, hour + interval 1 hour - interval 1 millisecond as close_time,
        round(lag(price, 1, price) over (order by i), 2) as open,
        round(greatest(price, lag(price, 1, price) over (order by i)) * 1.002, 2) as high,
        round(least(price, lag(price, 1, price) over (order by i)) * 0.998, 2) as low,
        round(price, 2) as close,
        round(800 + 600 * u + 400 * abs(wave), 4) as volume,
        round((800 + 600 * u + 400 * abs(wave)) * price, 2) as quote_volume,
        cast(20000 + 10000 * u as bigint) as trades,
        round((800 + 600 * u) * 0.5, 4) as taker_buy_base,
        round((800 + 600 * u) * 0.5 * price, 2) as taker_buy_quote,
        sha256('k' || cast(cast(hour as date) as varchar)) as payload_sha256
    from world where u > 0.003
    """)
    for t in ("binance__funding", "binance__open_interest", "binance__spot_klines"):
        print(t, con.execute(f"select count(*), min(partition_date), max(partition_date) from raw.{t}").fetchone())
    con.close()


if __name__ == "__main__":
    p = sys.argv[1] if len(sys.argv) > 1 else "/tmp/dbtcheck.duckdb"
    d = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    e = date.fromisoformat(sys.argv[3]) if len(sys.argv) > 3 else date(2026, 5, 31)
    build(p, d, e)

"""Create a throwaway DuckDB with every raw table the dbt project reads filled by SQL, for manual dbt checks.

Usage: python dbt_project/scripts/make_fixture_db.py /tmp/dbtcheck.duckdb [days] [end_date]
Deterministic (hash-based noise). Archive 5m OI rows for older days, API 1h rows for the last 30 days
(with a 3-day overlap), a few dropped hours to exercise data_completeness; OKX, Bybit, Deribit, dYdX and CME
with their providers' history limits and gaps (see add_other_venues). Not used by the test suite.
"""
from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb


TABLES = (
    "binance__funding", "binance__open_interest", "binance__spot_klines", "okx__funding", "okx__open_interest",
    "bybit__funding", "bybit__open_interest", "deribit__funding", "deribit__open_interest", "dydx__funding",
    "dydx__open_interest", "cftc__cme_open_interest",
)


def add_other_venues(con, start: date, end: date) -> None:
    """OKX, Bybit, Deribit, dYdX and CME, each with the history its provider serves and some gaps:
    OKX funding 90 days, OI 1D rows back to 180 days and 1H rows for 30; Bybit everything but a 5-day outage
    40 days before the end; Deribit funding hourly for all days, OI one snapshot a day for the last 20 days;
    dYdX from 2023-10-27 (always empty before); CME weekly reports (standard + micro; one week missing)."""
    okx_f, okx_1d, okx_1h = end - timedelta(days=89), end - timedelta(days=179), end - timedelta(days=29)
    gap0, gap1 = end - timedelta(days=44), end - timedelta(days=40)
    der_oi = end - timedelta(days=19)
    con.execute(f"""
    create table raw.okx__funding as
    select cast(hour as date) as partition_date, 'BTC-USDT-SWAP' as inst_id, hour as funding_time,
        case when wave > 1.1 then round(0.00012 + 0.0003 * (wave - 1.1), 6) else round(0.00008 + 0.00004 * u, 6) end
            as funding_rate,
        cast(null as double) as realized_rate, sha256('of' || i) as payload_sha256
    from world where hour(hour) % 8 = 0 and cast(hour as date) >= date '{okx_f}'
    """)
    con.execute(f"""
    create table raw.okx__open_interest as
    select cast(hour as date) as partition_date, 'BTC' as ccy, hour as ts, '1D' as period,
        round(oi_btc * 0.45 * price, 2) as oi_usd, round(1e9 * (1 + u), 2) as volume_usd, sha256('od' || i) as payload_sha256
    from world where hour(hour) = 0 and cast(hour as date) >= date '{okx_1d}' and cast(hour as date) < date '{okx_1h}'
    union all
    select cast(hour as date), 'BTC', hour, '1H', round(oi_btc * 0.45 * price, 2), round(5e7 * (1 + u), 2), sha256('oh' || i)
    from world where cast(hour as date) >= date '{okx_1h}'
    """)
    con.execute(f"""
    create table raw.bybit__funding as
    select cast(hour as date) as partition_date, 'BTCUSDT' as symbol, hour as funding_time,
        round(0.0001 + 0.0002 * (wave - 0.5) * (wave > 0.5)::int - 0.00003 * u, 6) as funding_rate,
        sha256('bf' || i) as payload_sha256
    from world where hour(hour) % 8 = 0 and not (cast(hour as date) between date '{gap0}' and date '{gap1}')
    """)
    con.execute(f"""
    create table raw.bybit__open_interest as
    select cast(hour as date) as partition_date, 'BTCUSDT' as symbol, hour as ts, '1h' as interval,
        round(oi_btc * 0.6, 3) as oi_btc, sha256('bo' || i) as payload_sha256
    from world where not (cast(hour as date) between date '{gap0}' and date '{gap1}')
    """)
    con.execute(f"""
    create table raw.deribit__funding as
    select cast(hour as date) as partition_date, 'BTC-PERPETUAL' as instrument_name, hour as ts,
        round((0.00009 + 0.00005 * (wave - 0.3)) / 8, 9) as interest_1h,
        round(0.00009 + 0.00005 * (wave - 0.3), 9) as interest_8h,
        round(price, 2) as index_price, round(price, 2) as prev_index_price, sha256('df' || i) as payload_sha256
    from world
    """)
    con.execute(f"""
    create table raw.deribit__open_interest as
    select cast(hour as date) - 1 as partition_date, 'BTC-PERPETUAL' as instrument_name,
        hour + interval 5 minute as ts, round(oi_btc * 0.15 * price, 2) as oi_usd, round(price, 2) as mark_price,
        sha256('do' || i) as payload_sha256
    from world where hour(hour) = 0 and cast(hour as date) - 1 >= date '{der_oi}'
    """)
    con.execute("""
    create table raw.dydx__funding as
    select cast(hour as date) as partition_date, 'BTC-USD' as ticker, hour as effective_at,
        round((0.00008 + 0.00006 * (wave - 0.2)) / 8 + 0.000002 * (u - 0.5), 10) as rate,
        round(price, 2) as price, cast(i as bigint) as effective_at_height, sha256('xf' || i) as payload_sha256
    from world where hour >= timestamp '2023-10-27'
    """)
    con.execute("""
    create table raw.dydx__open_interest as
    select cast(hour as date) as partition_date, 'BTC-USD' as ticker, hour as started_at,
        round(oi_btc * 0.01, 4) as starting_open_interest, round(price, 2) as close, round(1e6 * (1 + u), 2) as usd_volume,
        sha256('xo' || i) as payload_sha256
    from world where hour >= timestamp '2023-10-27' and u < 0.99
    """)
    con.execute(f"""
    create table raw.cftc__cme_open_interest as
    select cast(hour as date) as partition_date, hour as report_date, code as contract_market_code,
        case code when '133741' then 'BITCOIN - CHICAGO MERCANTILE EXCHANGE' else 'MICRO BITCOIN - CHICAGO MERCANTILE EXCHANGE' end
            as market_name,
        round(case code when '133741' then oi_btc * 0.2 / 5 else oi_btc * 0.01 / 0.1 end, 0) as open_interest_contracts,
        case code when '133741' then 5.0 else 0.1 end as contract_size_btc,
        round(case code when '133741' then oi_btc * 0.06 / 5 else oi_btc * 0.002 / 0.1 end, 0) as lev_money_long_contracts,
        round(case code when '133741' then oi_btc * 0.1 / 5 else oi_btc * 0.004 / 0.1 end, 0) as lev_money_short_contracts,
        sha256('c' || i || code) as payload_sha256
    from world, (values ('133741'), ('133742')) t(code)
    where dayofweek(hour) = 2 and hour(hour) = 0 and cast(hour as date) <> date '{end - timedelta(days=60)}'
    """)


def add_empty_aggregators(con) -> None:
    """The keyed aggregators (CoinGlass, Coinalyze) as a keyless live run leaves them: empty tables."""
    from orchestration.feeds import coinalyze, coinglass
    from orchestration.raw_store import raw_columns, raw_table

    for dataset in (*coinglass.DATASETS.values(), *coinalyze.DATASETS.values()):
        ddl = ", ".join(f'"{name}" {kind}' for name, kind in raw_columns(dataset).items())
        con.execute(f"create table {raw_table(dataset)} ({ddl})")


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
    add_other_venues(con, start, end)
    add_empty_aggregators(con)
    for t in TABLES:
        print(t, con.execute(f"select count(*), min(partition_date), max(partition_date) from raw.{t}").fetchone())
    con.close()


if __name__ == "__main__":
    p = sys.argv[1] if len(sys.argv) > 1 else "/tmp/dbtcheck.duckdb"
    d = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    e = date.fromisoformat(sys.argv[3]) if len(sys.argv) > 3 else date(2026, 5, 31)
    build(p, d, e)

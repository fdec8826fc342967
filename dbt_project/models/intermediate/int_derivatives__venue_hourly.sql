{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key=['venue', 'hour'],
        on_schema_change='append_new_columns',
    )
}}

{#- inputs are read from before start_date so the carried-forward funding rate and OI are as in a full build -#}
{%- set carry_hours = var('funding_carry_forward_max_hours') | int -%}
{#- the first build keeps every landed hour, the trailing history before the window included (landing reads it,
    orchestration/trailing.py), so the consumers' trailing windows (the 365-day funding P90, the clusters' 30
    days) hold on the window's first day; later builds replace the window only -#}
{%- set lookback_days = (carry_hours / 24) | round(0, 'ceil') | int + 2 if is_incremental() else none -%}
{%- set output_lookback = 0 if is_incremental() else none -%}
{%- set venues = ['binance', 'okx', 'bybit', 'deribit', 'dydx', 'hyperliquid'] -%}

with

-- ---------------------------------------------------------------- per venue: OI observations and settlements
-- on one basis (observed_at = the instant the OI holds; funding_rate per the venue's own interval)

-- Binance USDT-M BTCUSDT: OI in BTC and USDT; one observation per instant, the archive's where the archive
-- and the API both hold it
binance_open_interest as (
    select observed_at, oi_btc, oi_usd
    from {{ ref('stg_binance__open_interest') }}
    where symbol = 'BTCUSDT' and {{ window_filter('observed_at', lookback_days) }}
    qualify row_number() over (
        partition by observed_at order by case source when 'archive' then 0 else 1 end, source_ts
    ) = 1
),
binance_funding as (
    select funding_time, funding_rate, funding_interval_hours
    from {{ ref('stg_binance__funding') }}
    where symbol = 'BTCUSDT' and {{ window_filter('funding_time', lookback_days) }}
),

-- OKX: OI of all BTC contracts in USD ('1H' rows, or one '1D' row = the day's 00:00; where both hold an
-- instant, the hourly row); BTC-USDT-SWAP funding
okx_open_interest as (
    select observed_at, cast(null as double) as oi_btc, oi_usd
    from {{ ref('stg_okx__open_interest') }}
    where currency = 'BTC' and {{ window_filter('observed_at', lookback_days) }}
    qualify row_number() over (
        partition by observed_at order by case period when '1H' then 0 else 1 end, payload_sha256
    ) = 1
),
okx_funding as (
    select funding_time, funding_rate, funding_interval_hours
    from {{ ref('stg_okx__funding') }}
    where instrument = 'BTC-USDT-SWAP' and {{ window_filter('funding_time', lookback_days) }}
),

-- Bybit linear BTCUSDT: OI in BTC (USD below, at the Binance spot price)
bybit_open_interest as (
    select observed_at, oi_btc, cast(null as double) as oi_usd
    from {{ ref('stg_bybit__open_interest') }}
    where symbol = 'BTCUSDT' and {{ window_filter('observed_at', lookback_days) }}
),
bybit_funding as (
    select funding_time, funding_rate, funding_interval_hours
    from {{ ref('stg_bybit__funding') }}
    where symbol = 'BTCUSDT' and {{ window_filter('funding_time', lookback_days) }}
),

-- Deribit BTC-PERPETUAL: one closing OI snapshot a day (at 23:00 of its day), hourly realised funding
deribit_open_interest as (
    select observed_at, oi_btc, oi_usd
    from {{ ref('stg_deribit__open_interest') }}
    where instrument = 'BTC-PERPETUAL' and {{ window_filter('observed_at', lookback_days) }}
),
deribit_funding as (
    select funding_time, funding_rate, funding_interval_hours
    from {{ ref('stg_deribit__funding') }}
    where instrument = 'BTC-PERPETUAL' and {{ window_filter('funding_time', lookback_days) }}
),

-- dYdX BTC-USD: hourly OI in BTC at the candle start, hourly funding
dydx_open_interest as (
    select observed_at, oi_btc, cast(null as double) as oi_usd
    from {{ ref('stg_dydx__open_interest') }}
    where ticker = 'BTC-USD' and {{ window_filter('observed_at', lookback_days) }}
),
dydx_funding as (
    select funding_time, funding_rate, funding_interval_hours
    from {{ ref('stg_dydx__funding') }}
    where ticker = 'BTC-USD' and {{ window_filter('funding_time', lookback_days) }}
),

-- Hyperliquid BTC: one closing OI snapshot a day (at 23:00 of its day), in BTC; hourly funding
hyperliquid_open_interest as (
    select observed_at, oi_btc, oi_usd
    from {{ ref('stg_hyperliquid__open_interest') }}
    where coin = 'BTC' and {{ window_filter('observed_at', lookback_days) }}
),
hyperliquid_funding as (
    select funding_time, funding_rate, funding_interval_hours
    from {{ ref('stg_hyperliquid__funding') }}
    where coin = 'BTC' and {{ window_filter('funding_time', lookback_days) }}
),

-- spot price at each hour start = close of the Binance spot candle ending then (its own open as fallback)
spot_hourly as (
    select
        open_time + interval 1 hour as hour,
        close_usd as price_usd,
        open_usd as next_open_usd
    from {{ ref('stg_binance__spot_klines') }}
    where symbol = 'BTCUSDT' and kline_interval = '1h' and {{ window_filter('open_time', lookback_days) }}
),

-- ---------------------------------------------------------------- shared: OI at the hour's start, funding in force
{% for venue in venues %}
{{ venue_hourly_ctes(venue) }},
{% endfor %}

unioned as (

    {% for venue in venues -%}
    select * from {{ venue }}
    {# every branch has the same columns, in the same order (macros/venue_hourly.sql) #}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

-- USD <-> BTC at the hour's spot price where the venue reports only one of them
priced as (

    select
        u.venue,
        u.hour,
        coalesce(u.oi_btc, u.oi_usd / nullif(p.price_usd, 0)) as oi_btc,
        coalesce(u.oi_usd, u.oi_btc * p.price_usd) as oi_usd,
        u.oi_observed_at,
        u.oi_observations,
        u.funding_settled_at,
        u.funding_rate,
        u.funding_interval_hours

    from unioned as u
    left join (
        select hour, coalesce(price_usd, next_open_usd) as price_usd from spot_hourly
    ) as p on u.hour = p.hour

),

-- a rate older than funding_carry_forward_max_hours is not carried any further; OI for weighting is the
-- venue's latest OI observed in the trailing 24 h (venues with one observation a day still weigh all day)
limited as (

    select
        venue,
        hour,
        oi_btc,
        oi_usd,
        oi_observed_at,
        oi_observations,
        case when hour - funding_settled_at < {{ interval_of(carry_hours, 'hour') }}
            then funding_settled_at end as funding_settled_at,
        case when hour - funding_settled_at < {{ interval_of(carry_hours, 'hour') }}
            then funding_rate end as funding_rate,
        case when hour - funding_settled_at < {{ interval_of(carry_hours, 'hour') }}
            then funding_interval_hours end as funding_interval_hours,
        {{ last_non_null('oi_usd') }} over (
            partition by venue order by hour range between interval 23 hour preceding and current row
        ) as oi_usd_weight

    from priced

),

final as (

    select
        cast(venue as string) as venue,
        cast(hour as timestamp) as hour,
        cast(oi_btc as double) as oi_btc,
        cast(oi_usd as double) as oi_usd,
        cast(oi_usd_weight as double) as oi_usd_weight,
        cast(oi_observed_at as timestamp) as oi_observed_at,
        cast(oi_observations as integer) as oi_observations,
        cast(funding_settled_at as timestamp) as funding_settled_at,
        cast(funding_rate as double) as funding_rate,
        cast(funding_interval_hours as integer) as funding_interval_hours,
        cast(round(funding_rate * 8.0 / funding_interval_hours, 12) as double) as funding_8h,
        cast(funding_rate * 8760.0 / funding_interval_hours as double) as funding_apr,
        -- the latest settlement due by this hour is present (not carried over a missing one)
        cast(coalesce(funding_settled_at > hour - {{ interval_of('funding_interval_hours', 'hour') }}, false) as boolean)
            as funding_is_fresh,
        cast((oi_usd is not null)::int
            + coalesce(funding_settled_at > hour - {{ interval_of('funding_interval_hours', 'hour') }}, false)::int as integer)
            as observations_present,
        cast(2 as integer) as observations_expected

    from limited
    where {{ window_filter('hour', output_lookback) }}

)

select * from final

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['venue', 'hour'],
        on_schema_change='append_new_columns',
    )
}}

{#- inputs are read from before start_date so the carried-forward funding rate is the same as in a full build -#}
{%- set carry_hours = var('funding_carry_forward_max_hours') | int -%}
{%- set lookback_days = (carry_hours / 24) | round(0, 'ceil') | int + 2 -%}

with

-- ---------------------------------------------------------------- binance (USDT-M BTCUSDT perpetual)
binance_open_interest as (

    select observed_at, oi_btc, oi_usd
    from {{ ref('stg_binance__open_interest') }}
    where symbol = 'BTCUSDT'
      and {{ window_filter('observed_at', lookback_days) }}

),

binance_funding as (

    select funding_time, funding_rate, funding_interval_hours
    from {{ ref('stg_binance__funding') }}
    where symbol = 'BTCUSDT'
      and {{ window_filter('funding_time', lookback_days) }}

),

-- OI at the hour's start = the first observation with observed_at in [hour, hour + 1 h): the
-- archive's hh:00 snapshot and the API bucket whose right edge is hh:00 give the same instant
binance_oi_hourly as (

    select
        date_trunc('hour', observed_at) as hour,
        arg_min(oi_btc, observed_at) as oi_btc,
        arg_min(oi_usd, observed_at) as oi_usd,
        min(observed_at) as oi_observed_at,
        count(*) as oi_observations

    from binance_open_interest
    group by 1

),

-- every hour of every UTC day on which the venue has any observation, so gaps show as nulls
binance_spine as (

    select unnest(generate_series(first_day, last_day + interval 23 hour, interval 1 hour)) as hour
    from (
        select
            cast(min(day) as timestamp) as first_day,
            cast(max(day) as timestamp) as last_day
        from (
            select cast(hour as date) as day from binance_oi_hourly
            union all
            select cast(funding_time as date) from binance_funding
        )
    )
    where first_day is not null

),

-- a settlement applies from the first hour start at or after it
binance_funding_hourly as (

    select
        date_trunc('hour', funding_time)
            + case when funding_time > date_trunc('hour', funding_time) then interval 1 hour else interval 0 hour end
            as hour,
        arg_max(funding_time, funding_time) as funding_time,
        arg_max(funding_rate, funding_time) as funding_rate,
        arg_max(funding_interval_hours, funding_time) as funding_interval_hours

    from binance_funding
    group by 1

),

-- most recent settled rate at or before the hour, carried forward
binance_with_funding as (

    select
        spine.hour,
        last_value(funding.funding_time ignore nulls) over carry as funding_settled_at,
        last_value(funding.funding_rate ignore nulls) over carry as funding_rate,
        last_value(funding.funding_interval_hours ignore nulls) over carry as funding_interval_hours

    from binance_spine as spine
    left join binance_funding_hourly as funding on spine.hour = funding.hour
    window carry as (order by spine.hour rows between unbounded preceding and current row)

),

binance as (

    select
        'binance' as venue,
        funding.hour,
        oi.oi_btc,
        oi.oi_usd,
        oi.oi_observed_at,
        coalesce(oi.oi_observations, 0) as oi_observations,
        funding.funding_settled_at,
        funding.funding_rate,
        funding.funding_interval_hours

    from binance_with_funding as funding
    left join binance_oi_hourly as oi on funding.hour = oi.hour

),

-- ---------------------------------------------------------------- all venues (OKX, Bybit, Deribit, dYdX, CME:
-- add one branch each above, same columns, funding_rate per the venue's own interval)
unioned as (

    select * from binance

),

final as (

    select
        cast(venue as varchar) as venue,
        cast(hour as timestamp) as hour,
        cast(oi_btc as double) as oi_btc,
        cast(oi_usd as double) as oi_usd,
        cast(oi_observed_at as timestamp) as oi_observed_at,
        cast(oi_observations as integer) as oi_observations,
        cast(funding_settled_at as timestamp) as funding_settled_at,
        cast(funding_rate as double) as funding_rate,
        cast(funding_interval_hours as integer) as funding_interval_hours,
        cast(round(funding_rate * 8.0 / funding_interval_hours, 12) as double) as funding_8h,
        cast(funding_rate * 8760.0 / funding_interval_hours as double) as funding_apr,
        -- the latest settlement due by this hour is present (not carried over a missing one)
        cast(coalesce(funding_settled_at > hour - to_hours(funding_interval_hours), false) as boolean)
            as funding_is_fresh,
        cast((oi_usd is not null)::int
            + coalesce(funding_settled_at > hour - to_hours(funding_interval_hours), false)::int as integer)
            as observations_present,
        cast(2 as integer) as observations_expected

    from (
        -- a rate older than funding_carry_forward_max_hours is not carried any further
        select
            * replace (
                case when hour - funding_settled_at < to_hours({{ carry_hours }})
                    then funding_settled_at end as funding_settled_at,
                case when hour - funding_settled_at < to_hours({{ carry_hours }})
                    then funding_rate end as funding_rate,
                case when hour - funding_settled_at < to_hours({{ carry_hours }})
                    then funding_interval_hours end as funding_interval_hours
            )
        from unioned
    )
    where {{ window_filter('hour') }}

)

select * from final

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='hour',
        on_schema_change='append_new_columns',
    )
}}

{%- set lookback_days = var('funding_lookback_days') | int -%}
{%- set min_history_hours = var('funding_min_history_days') | int * 24 -%}
{%- set streak_cap = var('funding_streak_cap_hours') | int -%}

with

-- read funding_lookback_days + history_slack_days before start_date: every day from start_date -
-- history_slack_days on has its full trailing window, which covers every hour a (capped) streak can reach
venue_hourly as (

    select * from {{ ref('int_derivatives__venue_hourly') }}
    where {{ window_filter('hour', lookback_days + var('history_slack_days') | int) }}

),

-- a venue's OI weight: its own latest OI of the trailing 24 h, else the day-end OI the market's total counted
-- for it the day before (its own API's, the aggregator's per-venue value, or carried:
-- int_derivatives__venue_day_end_oi, the one owner of that rule), known from the day's first hour on; venues
-- whose own API serves only today's OI (Deribit, Hyperliquid) are weighted by it on every other day
weighted as (

    select
        h.venue, h.hour, h.oi_btc, h.oi_usd,
        coalesce(h.oi_usd_weight, d.oi_usd) as oi_usd_weight,
        h.oi_observed_at, h.oi_observations, h.funding_settled_at, h.funding_rate, h.funding_interval_hours,
        h.funding_8h, h.funding_apr, h.funding_is_fresh, h.observations_present, h.observations_expected

    from venue_hourly as h
    left join {{ ref('int_derivatives__venue_day_end_oi') }} as d
        on d.venue = h.venue and d.date = cast(h.hour as date) - 1 and not d.is_cme

),

aggregated as (

    select
        hour,
        {{ ordered_agg('sum', 'oi_usd', 'venue') }} as oi_usd_total,
        {{ ordered_agg('sum', 'oi_btc', 'venue') }} as oi_btc_total,
        count(oi_usd) as venues_with_oi,
        count(funding_8h) as venues_with_funding,
        -- OI-weighted over venues with both a rate in force and an OI weight (``weighted``); unweighted mean
        -- when no venue has a weight;
        -- rounded to 1e-12 so that x * oi / oi noise never makes a rate "strictly above" itself
        round(coalesce(
            {{ ordered_agg('sum', 'funding_8h * oi_usd_weight', 'venue') }}
                / nullif({{ ordered_agg('sum', 'case when funding_8h is not null then oi_usd_weight end', 'venue') }}, 0),
            {{ ordered_agg('sum', 'funding_8h', 'venue') }} / nullif(count(funding_8h), 0)
        ), 12) as funding_8h_oi_weighted,
        {{ sorted_list('venue', filter='oi_usd is not null or funding_is_fresh') }} as venues_present,
        {{ sorted_list('venue', filter='oi_usd is not null') }} as oi_venues,
        {{ sorted_list('venue', filter='funding_8h is not null') }} as funding_venues,
        sum(observations_present) as observations_present,
        sum(observations_expected) as observations_expected
        -- float sums in a fixed venue order: parallel aggregation would otherwise differ in the last bit
        -- between a full and a windowed build

    from weighted
    group by hour

),

-- The percentile per UTC day, over the hourly values of the trailing funding_lookback_days days ending at
-- the day's end (inclusive): a RANGE frame on the hour's DATE includes every hour of the current day (peers),
-- so each hour of day D sees exactly the hours of days D - (lookback - 1) .. D. quantile_disc is the inverted
-- CDF: the smallest value v with (hours <= v) >= percentile x hours (DuckDB evaluates it with a merge-sort
-- tree, so the window stays cheap with many distinct OI-weighted rates).
percentile_hours as (

    select
        cast(hour as date) as day,
        {{ percentile_disc_over('funding_8h_oi_weighted', var('funding_percentile'), 'trailing_days') }} as funding_p,
        count(funding_8h_oi_weighted) over trailing_days as hours_in_window

    from aggregated
    window trailing_days as (
        order by cast(hour as date) range between interval {{ lookback_days - 1 }} day preceding and current row
    )

),

daily_percentile as (

    select
        day,
        case when max(hours_in_window) >= {{ min_history_hours }} then any_value(funding_p) end
            as funding_p_trailing,
        max(hours_in_window) as funding_hours_in_window

    from percentile_hours
    where {{ window_filter('day', var('history_slack_days') | int) }}
    group by day

),

flagged as (

    select
        aggregated.*,
        p.funding_p_trailing,
        -- STRICTLY above: the P90 often equals Binance's 0.01 % default, which is not crowding
        aggregated.funding_8h_oi_weighted > p.funding_p_trailing as funding_above_p

    from aggregated
    left join daily_percentile as p on cast(aggregated.hour as date) = p.day

),

streaks as (

    select
        *,
        max(case when not coalesce(funding_above_p, false) then hour end) over (
            order by hour rows between unbounded preceding and current row
        ) as last_hour_not_above,
        min(hour) over (order by hour rows between unbounded preceding and current row) as first_hour_read

    from flagged

),

final as (

    select
        cast(hour as timestamp) as hour,
        cast(oi_usd_total as double) as oi_usd_total,
        cast(oi_btc_total as double) as oi_btc_total,
        cast(venues_with_oi as integer) as venues_with_oi,
        cast(venues_with_funding as integer) as venues_with_funding,
        cast(funding_8h_oi_weighted as double) as funding_8h_oi_weighted,
        cast(funding_8h_oi_weighted * 1095.0 as double) as funding_apr,
        cast(funding_p_trailing as double) as funding_p90_trailing_365d,
        cast(funding_above_p as boolean) as funding_above_p90,
        -- consecutive hours up to and including this one strictly above the P90, capped at funding_streak_cap_hours
        cast(case
            when funding_p_trailing is null then null
            else least(
                {{ dbt.datediff('coalesce(last_hour_not_above, first_hour_read - interval 1 hour)', 'hour', 'hour') }},
                {{ streak_cap }}
            )
        end as integer) as funding_hours_above_p90,
        cast(coalesce({{ list_to_string('venues_present', "','") }}, '') as string) as venues_present,
        cast(coalesce({{ list_to_string('oi_venues', "','") }}, '') as string) as oi_venues_present,
        cast(coalesce({{ list_to_string('funding_venues', "','") }}, '') as string) as funding_venues_present,
        cast(observations_present as integer) as observations_present,
        cast(observations_expected as integer) as observations_expected

    from streaks
    where {{ window_filter('hour') }}

)

select * from final

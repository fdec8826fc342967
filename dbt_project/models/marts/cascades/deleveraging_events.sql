{#-
  The deleveraging events the data itself flags, one row per event. A day is flagged when the like-for-like OI
  index fell by deleveraging_oi_drop_1d (10 %) or more on the day AND long liquidations were at least
  deleveraging_liq_long_multiple (5x) their median of the deleveraging_liq_lookback_days (90) days before
  (given deleveraging_liq_min_history_days of them). Flagged days within deleveraging_merge_days of the
  previous flagged day extend its event (a cascade often runs over two days, FTX over three).
  Point in time: whether day D is flagged reads only days up to D (the mart is point in time, the median
  excludes D), so an event is known at the end of its first_day; its later days and totals are what followed.
  A day whose OI has no 1-day change (a stale provider day) or no liquidations cannot be flagged: the data
  does not say.
-#}
{%- set lookback = var('deleveraging_liq_lookback_days') | int -%}

with

days as (

    select
        date,
        price_close_usd,
        oi_index_like_for_like,
        oi_change_1d,
        liq_long_usd,
        liq_short_usd
    from {{ ref('leverage_condition') }}

),

with_trailing as (

    select
        *,
        {{ median_over('liq_long_usd', 'prior_days') }} as liq_long_median_trailing,
        count(liq_long_usd) over prior_days as liq_history_days,
        {{ value_days_ago('price_close_usd', 1) }} as close_before,
        {{ value_days_ago('oi_index_like_for_like', 1) }} as oi_index_before

    from days
    window
        prior_days as (order by date range between interval {{ lookback }} day preceding and interval 1 day preceding)

),

flagged as (

    select
        *,
        liq_long_usd / nullif(liq_long_median_trailing, 0) as liq_long_multiple
    from with_trailing
    where oi_change_1d <= -{{ var('deleveraging_oi_drop_1d') }}
      and liq_history_days >= {{ var('deleveraging_liq_min_history_days') }}
      and liq_long_usd >= {{ var('deleveraging_liq_long_multiple') }} * liq_long_median_trailing

),

numbered as (

    select
        *,
        sum(case when previous_flagged is null
                   or {{ dbt.datediff('previous_flagged', 'date', 'day') }} > {{ var('deleveraging_merge_days') }}
                 then 1 else 0 end) over (order by date rows between unbounded preceding and current row)
            as event_number
    from (select *, lag(date) over (order by date) as previous_flagged from flagged)

),

events as (

    select
        event_number,
        min(date) as first_day,
        max(date) as last_day,
        count(*) as flagged_days,
        min(oi_change_1d) as worst_oi_change_1d,
        max(liq_long_multiple) as max_liq_long_multiple,
        {{ arg_min_of('oi_change_1d', 'date') }} as first_day_oi_change_1d,
        {{ arg_min_of('liq_long_multiple', 'date') }} as first_day_liq_long_multiple,
        {{ arg_min_of('liq_long_median_trailing', 'date') }} as liq_long_median_trailing,
        {{ arg_min_of('close_before', 'date') }} as close_before,
        {{ arg_min_of('oi_index_before', 'date') }} as oi_index_before
    from numbered
    group by event_number

),

-- the event's totals over every day of its span (the days between flagged days too)
spans as (

    select
        e.event_number,
        sum(d.liq_long_usd) as liq_long_usd,
        sum(d.liq_short_usd) as liq_short_usd,
        {{ arg_max_of('d.price_close_usd', 'd.date') }} as close_last,
        {{ arg_max_of('d.oi_index_like_for_like', 'd.date') }} as oi_index_last
    from events as e
    join days as d on d.date between e.first_day and e.last_day
    group by e.event_number

)

select
    cast(e.first_day as string) as event_id,
    cast(e.first_day as date) as first_day,
    cast(e.last_day as date) as last_day,
    cast({{ dbt.datediff('e.first_day', 'e.last_day', 'day') }} + 1 as integer) as span_days,
    cast(e.flagged_days as integer) as flagged_days,
    cast(e.first_day_oi_change_1d as double) as first_day_oi_change_1d,
    cast(e.worst_oi_change_1d as double) as worst_oi_change_1d,
    cast(s.oi_index_last / nullif(e.oi_index_before, 0) - 1 as double) as oi_change_over_event,
    cast(s.liq_long_usd as double) as liq_long_usd,
    cast(s.liq_short_usd as double) as liq_short_usd,
    cast(e.liq_long_median_trailing as double) as liq_long_median_trailing,
    cast(e.first_day_liq_long_multiple as double) as first_day_liq_long_multiple,
    cast(e.max_liq_long_multiple as double) as max_liq_long_multiple,
    cast(s.close_last / nullif(e.close_before, 0) - 1 as double) as return_over_event
from events as e
join spans as s on s.event_number = e.event_number

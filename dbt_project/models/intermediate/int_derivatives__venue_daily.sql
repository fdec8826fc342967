{#-
  Per UTC day and crypto venue, what the venue's own API served (int_derivatives__venue_hourly): its day-end OI
  (the last hourly observation of the day), the hours with OI and with funding, and the day's mean funding on the
  8 h basis. One row per (date, venue) with any hourly row, so a day with funding but no OI keeps its row. The
  one daily reading of the venue feeds: the market total, the mart venue_daily and the aggregator cross-check
  start here. Small (a few rows a day): rebuilt in full each run up to end_date.
-#}
with

venue_hourly as (

    select * from {{ ref('int_derivatives__venue_hourly') }}
    where {{ window_filter('hour', none) }}

),

final as (

    select
        cast(cast(hour as date) as date) as date,
        cast(venue as string) as venue,
        cast({{ arg_max_of('oi_usd', 'hour') }} filter (where oi_usd is not null) as double) as oi_usd,
        cast(count(oi_usd) as integer) as oi_hours,
        cast(count(funding_8h) as integer) as funding_hours,
        cast(count(*) filter (where funding_is_fresh) as integer) as funding_fresh_hours,
        -- in hour order: a float mean that is the same on every build (parallel sums differ in the last bits)
        cast({{ ordered_agg('avg', 'funding_8h', 'hour') }} as double) as funding_8h

    from venue_hourly
    group by 1, 2

)

select * from final

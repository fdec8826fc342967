{#-
  Per UTC day and venue: the day-end OI the market's total counted (int_derivatives__venue_day_end_oi, the
  rows int_derivatives__market_daily sums), where it came from, its share of the day's total, and the venue's
  funding. For BI: OI and funding by venue. POINT IN TIME (a carried value reads earlier days only).
  Rebuilt in full each run up to end_date (a few rows a day), like int_derivatives__market_daily.
-#}
with

own_daily as (

    select date, venue, funding_8h from {{ ref('int_derivatives__venue_daily') }}
    where {{ window_filter('date', none) }}

),

venue_oi as (

    select * from {{ ref('int_derivatives__venue_day_end_oi') }}
    where {{ window_filter('date', none) }}

),

market as (

    select date, oi_usd_total from {{ ref('int_derivatives__market_daily') }}
    where {{ window_filter('date', none) }}

),

-- a venue with funding but no OI that day keeps its row (oi_usd null): funding by venue is charted too
venue_days as (

    select
        coalesce(o.date, f.date) as date,
        coalesce(o.venue, f.venue) as venue,
        o.oi_usd,
        case
            when o.oi_usd is null then null
            when o.is_carried then 'carried'
            when o.from_aggregator then 'aggregator'
            else 'venue'
        end as oi_origin,
        f.funding_8h

    from venue_oi as o
    full outer join (select date, venue, funding_8h from own_daily where funding_8h is not null) as f
        on f.date = o.date and f.venue = o.venue

),

final as (

    select
        cast(v.date as date) as date,
        cast(v.venue as string) as venue,
        cast(v.oi_usd as double) as oi_usd,
        cast(v.oi_origin as string) as oi_origin,
        cast(v.oi_usd / nullif(m.oi_usd_total, 0) as double) as oi_share_of_total,
        cast(v.funding_8h as double) as funding_8h

    from venue_days as v
    left join market as m on m.date = v.date

)

select * from final

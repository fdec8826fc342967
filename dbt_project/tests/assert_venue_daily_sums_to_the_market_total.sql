-- venue_daily publishes the figures the market's total OI used: on every day whose oi_usd_total is the sum of
-- the venues (oi_source 'venues'), the venues' oi_usd add up to it (float sums: within 1e-9 relative), and
-- their list is oi_venues_present; a day of the market table with OI but no venue row fails too.
{{ config(meta={'dagster': {'ref': {'name': 'venue_daily'}}}) }}  -- an asset check of venue_daily in Dagster
with venues as (

    select date, {{ ordered_agg('sum', 'oi_usd', 'venue') }} as oi_usd_sum,
        {{ list_to_string(sorted_list('venue', filter='oi_usd is not null'), "','") }} as venues
    from {{ ref('venue_daily') }}
    group by date

)

select m.date, m.oi_usd_total, v.oi_usd_sum, m.oi_venues_present, v.venues
from {{ ref('int_derivatives__market_daily') }} as m
left join venues as v on v.date = m.date
where m.oi_source = 'venues'
  and (v.oi_usd_sum is null
       or abs(v.oi_usd_sum - m.oi_usd_total) > 1e-9 * abs(m.oi_usd_total)
       or v.venues <> m.oi_venues_present)

{#-
  venue_day_end_oi(own): the CTEs cme_oi, aggregator_oi, crypto_oi_observed, crypto_oi_filled and venue_oi,
  the day-end OI of each venue as the market's total OI counts it. The one owner of that rule, read by
  int_derivatives__market_daily (the sums, the like-for-like index) and the mart venue_daily (per venue).
  own: the name of a CTE (date, venue, oi_usd) of each crypto venue's own day-end OI, one row per day and
  venue with any hourly row (oi_usd null on a day it served funding only: its days make the spine); the
  other inputs (Coinalyze's per-venue OI, CME's report in force) are read here, over the run window's end.
  venue_oi: (date, venue, oi_usd, is_carried, is_cme, from_aggregator), point in time (earlier days only).
  Called inside a WITH list after `own`; it ends without a trailing comma.
-#}
{% macro venue_day_end_oi(own) -%}
cme_oi as (

    select * from {{ ref('int_derivatives__cme_daily') }}
    where {{ window_filter('date', none) }}

),

aggregator_oi as (

    select date, venue, oi_usd from {{ ref('stg_coinalyze__open_interest') }}
    where {{ window_filter('date', none) }} and oi_usd is not null

),

-- a crypto venue's day-end OI: its own API's where it served the day, else the aggregator's per-venue value
crypto_oi_observed as (

    select
        coalesce(o.date, a.date) as date,
        coalesce(o.venue, a.venue) as venue,
        coalesce(o.oi_usd, a.oi_usd) as oi_usd,
        o.oi_usd is null as from_aggregator

    from (select * from {{ own }} where oi_usd is not null) as o
    full outer join aggregator_oi as a on a.date = o.date and a.venue = o.venue

),

-- a crypto venue missing from both (a failed feed, a provider gap) keeps its last observed day-end OI for
-- up to oi_carry_forward_days days, flagged: total OI does not drop because a feed did. Only earlier days
-- are read (point in time); a venue never seen before is not invented.
crypto_oi_filled as (

    select
        d.date,
        v.venue,
        last_value(o.oi_usd ignore nulls) over carry as oi_usd,
        last_value(o.date ignore nulls) over carry as observed_date,
        last_value(o.from_aggregator ignore nulls) over carry as from_aggregator

    from (select distinct date from {{ own }} union select distinct date from crypto_oi_observed) as d
    cross join (select distinct venue from crypto_oi_observed) as v
    left join crypto_oi_observed as o on o.date = d.date and o.venue = v.venue
    window carry as (partition by v.venue order by d.date rows between unbounded preceding and current row)

),

-- day-end OI per venue, CME included (its weekly value carried between releases)
venue_oi as (

    select date, venue, oi_usd, observed_date < date as is_carried, false as is_cme,
        from_aggregator and observed_date = date as from_aggregator
    from crypto_oi_filled
    where observed_date is not null and date - observed_date <= {{ var('oi_carry_forward_days') | int }}
    union all
    select date, 'cme', oi_usd_cme, false, true, false from cme_oi where oi_usd_cme is not null

)
{%- endmacro %}

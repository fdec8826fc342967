{#-
  Per UTC day and venue, the day-end OI as the market's total OI counts it: a crypto venue's own API's value
  (int_derivatives__venue_daily), else the aggregator's per-venue series (Coinalyze), else its last observed
  value carried up to oi_carry_forward_days days (a venue never seen before is not invented); CME's report in
  force. The one owner of that rule: int_derivatives__market_daily sums it (the totals, the like-for-like
  index) and the mart venue_daily shows it per venue. POINT IN TIME (a carried value reads earlier days only).
  Small (a few rows a day): rebuilt in full each run up to end_date.
-#}
with

-- the spine: every (date, venue) the venue's own API served anything for (OI null on a funding-only day)
own as (

    select date, venue, oi_usd from {{ ref('int_derivatives__venue_daily') }}
    where {{ window_filter('date', none) }}

),

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

    from (select * from own where oi_usd is not null) as o
    full outer join aggregator_oi as a on a.date = o.date and a.venue = o.venue

),

-- a crypto venue missing from both (a failed feed, a provider gap) keeps its last observed day-end OI for
-- up to oi_carry_forward_days days, flagged: total OI does not drop because a feed did. Only earlier days
-- are read (point in time); a venue never seen before is not invented.
crypto_oi_filled as (

    select
        d.date,
        v.venue,
        {{ last_non_null('o.oi_usd') }} over carry as oi_usd,
        {{ last_non_null('o.date') }} over carry as observed_date,
        {{ last_non_null('o.from_aggregator') }} over carry as from_aggregator

    from (select distinct date from own union select distinct date from crypto_oi_observed) as d
    cross join (select distinct venue from crypto_oi_observed) as v
    left join crypto_oi_observed as o on o.date = d.date and o.venue = v.venue
    window carry as (partition by v.venue order by d.date rows between unbounded preceding and current row)

),

-- day-end OI per venue, CME included (its weekly value carried between releases)
venue_oi as (

    select date, venue, oi_usd, observed_date < date as is_carried, false as is_cme,
        from_aggregator and observed_date = date as from_aggregator
    from crypto_oi_filled
    where observed_date is not null and {{ dbt.datediff('observed_date', 'date', 'day') }} <= {{ var('oi_carry_forward_days') | int }}
    union all
    select date, 'cme', oi_usd_cme, false, true, false from cme_oi where oi_usd_cme is not null

),

final as (

    select
        cast(date as date) as date,
        cast(venue as string) as venue,
        cast(oi_usd as double) as oi_usd,
        cast(is_carried as boolean) as is_carried,
        cast(is_cme as boolean) as is_cme,
        cast(from_aggregator as boolean) as from_aggregator

    from venue_oi

)

select * from final

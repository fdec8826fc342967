{#-
  Aggregators against the venues, per UTC day and check (macro agreement_status: agreed / diverged /
  single_source / missing, tolerances as vars):
    oi_venues_vs_coinalyze      metric oi: the day-end OI the venues' own APIs served, summed, against
                                Coinalyze's per-venue day-end OI summed over the SAME venues (like for like);
    oi_change_vs_coinglass      metric oi: the day-over-day change of the like-for-like OI index against the
                                change of CoinGlass's all-exchange OI (levels differ by coverage, changes
                                should not); a day whose index links on the aggregate itself has no venue
                                figure (single_source), and a stale aggregate day none of its own;
    funding_vs_coinglass        metric funding: the day's average OI-weighted funding (8 h basis) against
                                the typical value (OHLC mean, the close where only the close was recorded)
                                of CoinGlass's daily OI-weighted bar (percent converted to a fraction;
                                CoinGlass also weighs venues we do not land);
    liquidations_coinglass_vs_coinalyze
                                metric liquidations: CoinGlass's aggregate for the venues' exchange list
                                against Coinalyze's per-venue liquidations summed (long + short).
  Small (a few rows a day): rebuilt in full each run from all history up to end_date.
-#}
with

-- the day-end OI each venue's own API served (never the aggregator's fill nor a carried value)
venue_oi as (

    select date, venue, oi_usd from {{ ref('int_derivatives__venue_daily') }}
    where {{ window_filter('date', none) }} and oi_usd is not null

),

coinalyze_oi as (

    select date, venue, oi_usd from {{ ref('stg_coinalyze__open_interest') }}
    where {{ window_filter('date', none) }}

),

oi_like_for_like as (

    select
        coalesce(v.date, a.date) as date,
        {{ ordered_agg('sum', 'v.oi_usd', 'v.venue', filter='a.oi_usd is not null') }} as venue_value,
        {{ ordered_agg('sum', 'a.oi_usd', 'a.venue', filter='v.oi_usd is not null') }} as aggregator_value,
        -- one side only: that side's figure, so the day reads single_source
        {{ ordered_agg('sum', 'v.oi_usd', 'v.venue') }} as venue_only,
        {{ ordered_agg('sum', 'a.oi_usd', 'a.venue') }} as aggregator_only,
        {{ list_to_string(sorted_list('coalesce(v.venue, a.venue)',
            filter='v.oi_usd is not null and a.oi_usd is not null'), "','") }} as venues

    from venue_oi as v
    full outer join coinalyze_oi as a on a.date = v.date and a.venue = v.venue
    group by 1

),

market as (

    select date, oi_link - 1 as oi_change, oi_venues_linked
    from {{ ref('int_derivatives__market_daily') }}
    where {{ window_filter('date', none) }}

),

-- the aggregate as market_daily observed it: a stale day has no value, so neither it nor the day after has a
-- change to compare
coinglass_oi as (

    select
        date,
        oi_usd_all_exchanges / nullif({{ value_days_ago('oi_usd_all_exchanges', 1) }}, 0) - 1 as oi_change

    from {{ ref('int_derivatives__market_daily') }}
    where {{ window_filter('date', none) }}

),

-- the day's average: the venues' settled rates in force lag CoinGlass's current rates by hours, so a
-- day-end comparison reads a trend as a disagreement; the averages of the day do not
funding_day as (

    select cast(hour as date) as date, avg(funding_8h_oi_weighted) as funding_8h
    from {{ ref('int_derivatives__market_hourly') }}
    where {{ window_filter('hour', none) }} and funding_8h_oi_weighted is not null
    group by 1

),

-- the bar's typical value (mean of open, high, low, close) as a proxy of the day's average; the close alone
-- where the bar's open, high and low were not recorded (real daily exports keep only the close)
coinglass_funding as (

    select
        date,
        coalesce((funding_8h_open + funding_8h_high + funding_8h_low + funding_8h) / 4, funding_8h) as funding_8h

    from {{ ref('stg_coinglass__funding_oi_weighted') }}
    where {{ window_filter('date', none) }}

),

coinglass_liq as (

    select date, long_usd + short_usd as liq_usd from {{ ref('stg_coinglass__liquidations') }}
    where {{ window_filter('date', none) }}

),

coinalyze_liq as (

    select date, {{ ordered_agg('sum', 'long_usd + short_usd', 'venue') }} as liq_usd,
        {{ list_to_string(sorted_list('venue'), "','") }} as venues
    from {{ ref('stg_coinalyze__liquidations') }}
    where {{ window_filter('date', none) }}
    group by date

),

compared as (

    select date, 'oi' as metric, 'oi_venues_vs_coinalyze' as check_name,
        case when aggregator_value is not null then venue_value else venue_only end as venue_value,
        case when venue_value is not null then aggregator_value else aggregator_only end as aggregator_value,
        {{ var('agg_oi_abs_tol_usd') }} as abs_tolerance, {{ var('agg_oi_rel_tol') }} as rel_tolerance,
        venues
    from oi_like_for_like

    union all

    select coalesce(m.date, g.date), 'oi', 'oi_change_vs_coinglass',
        case when m.oi_venues_linked > 0 then m.oi_change end, g.oi_change,
        {{ var('agg_oi_change_abs_tol') }}, 0.0, null
    from market as m
    full outer join coinglass_oi as g on g.date = m.date

    union all

    select coalesce(f.date, g.date), 'funding', 'funding_vs_coinglass', f.funding_8h, g.funding_8h,
        {{ var('agg_funding_abs_tol') }}, {{ var('agg_funding_rel_tol') }}, null
    from funding_day as f
    full outer join coinglass_funding as g on g.date = f.date

    union all

    select coalesce(g.date, a.date), 'liquidations', 'liquidations_coinglass_vs_coinalyze', a.liq_usd, g.liq_usd,
        {{ var('agg_liq_abs_tol_usd') }}, {{ var('agg_liq_rel_tol') }}, a.venues
    from coinglass_liq as g
    full outer join coinalyze_liq as a on a.date = g.date

),

-- every day of the market table x every check, so a day neither source covered reads 'missing'
spine as (

    select m.date, c.metric, c.check_name, c.abs_tolerance, c.rel_tolerance
    from market as m
    cross join (values
        ('oi', 'oi_venues_vs_coinalyze', {{ var('agg_oi_abs_tol_usd') }}, {{ var('agg_oi_rel_tol') }}),
        ('oi', 'oi_change_vs_coinglass', {{ var('agg_oi_change_abs_tol') }}, 0.0),
        ('funding', 'funding_vs_coinglass', {{ var('agg_funding_abs_tol') }}, {{ var('agg_funding_rel_tol') }}),
        ('liquidations', 'liquidations_coinglass_vs_coinalyze', {{ var('agg_liq_abs_tol_usd') }},
            {{ var('agg_liq_rel_tol') }})
    ) as c (metric, check_name, abs_tolerance, rel_tolerance)

),

filled as (

    select
        coalesce(c.date, s.date) as date,
        coalesce(c.metric, s.metric) as metric,
        coalesce(c.check_name, s.check_name) as check_name,
        c.venue_value,
        c.aggregator_value,
        coalesce(c.abs_tolerance, s.abs_tolerance) as abs_tolerance,
        coalesce(c.rel_tolerance, s.rel_tolerance) as rel_tolerance,
        c.venues

    from spine as s
    full outer join (select * from compared where date is not null) as c
        on c.date = s.date and c.check_name = s.check_name

),

final as (

    select
        cast(date as date) as date,
        cast(metric as string) as metric,
        cast(check_name as string) as check_name,
        cast(venue_value as double) as venue_value,
        cast(aggregator_value as double) as aggregator_value,
        cast(venue_value - aggregator_value as double) as difference,
        cast((venue_value - aggregator_value) / nullif(abs(aggregator_value), 0) as double) as relative_difference,
        cast(abs_tolerance as double) as abs_tolerance,
        cast(rel_tolerance as double) as rel_tolerance,
        cast({{ agreement_status('venue_value', 'aggregator_value', 'abs_tolerance', 'rel_tolerance') }} as string)
            as status,
        cast(venues as string) as venues_compared

    from filled

)

select * from final

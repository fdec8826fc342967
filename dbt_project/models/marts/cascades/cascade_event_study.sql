{#-
  One row per event: every documented cascade (seed documented_cascades) whose first day lies inside the
  mart's span, and every event the data flags (deleveraging_events) that matches none of them (a detected
  event matches a documented one when its first day falls within a day of the documented span; the
  documented row then says detected_by_data).
  Before: the event_window_days (7) days before the event's first day, D-7..D-1: on how many days each
  condition held, the longest funding streak, the largest cluster share, the highest score and regime, and
  whether the multiplier was cut on any day. "Preceded by" a condition: it held on at least one of those
  days; null when it was evaluated on none of them (the data cannot say).
  On the day (the first day) and over the event's span; after: the 1- and 7-day returns from the first
  day's close and the deepest close in those 7 days against it. The event study looks forward by design (it
  evaluates the rule); the verdict columns it reads are point in time.
-#}
{%- set w = var('event_window_days') | int -%}

with

mart as (

    select * from {{ ref('leverage_condition') }}

),

span as (

    select min(date) as first_date, max(date) as last_date from mart

),

documented as (

    select
        event_id,
        min(first_day) as first_day,
        max(last_day) as last_day,
        min(event_name) as event_name,
        max(case when figure = 'liquidations_24h' and scope = 'all_coins' and side = 'both' then value end)
            as reported_liquidations_all_coins_usd,
        max(case when figure = 'liquidations_24h' and scope = 'btc' and side = 'both' then value end)
            as reported_liquidations_btc_usd
    from {{ ref('documented_cascades') }}
    group by event_id

),

detected as (

    select * from {{ ref('deleveraging_events') }}

),

-- each documented event and the first detected event within a day of its span
documented_matched as (

    select
        d.*,
        min(e.first_day) as detected_first_day
    from documented as d
    left join detected as e
        on e.first_day between d.first_day - interval 1 day and d.last_day + interval 1 day
    group by all

),

events as (

    select
        event_id, 'documented' as event_kind, event_name, first_day, last_day,
        detected_first_day is not null as detected_by_data, detected_first_day,
        reported_liquidations_all_coins_usd, reported_liquidations_btc_usd
    from documented_matched
    where first_day between (select first_date from span) and (select last_date from span)

    union all

    select
        event_id, 'detected', null, first_day, last_day, true, first_day, null, null
    from detected
    where first_day not in (select detected_first_day from documented_matched where detected_first_day is not null)

),

regime_rank as (

    select * from (values ('reset', 0), ('neutral', 1), ('elevated', 2), ('deleveraging_precondition', 3))
        as r(regime, regime_rank)

),

before as (

    select
        e.event_id,
        count(m.date) as pre_days_observed,
        count(*) filter (where m.conditions_evaluated = 3) as pre_days_all_evaluated,
        count(*) filter (where m.oi_at_local_high) as pre_days_oi_at_local_high,
        count(*) filter (where m.funding_sustained_above_p90) as pre_days_funding_sustained,
        count(*) filter (where m.liq_clusters_dense) as pre_days_liq_clusters_dense,
        count(*) filter (where m.conditions_met = 3) as pre_days_all_three,
        count(m.oi_at_local_high) as pre_days_oi_evaluated,
        count(m.funding_sustained_above_p90) as pre_days_funding_evaluated,
        count(m.liq_clusters_dense) as pre_days_clusters_evaluated,
        max(m.funding_hours_above_p90) as pre_max_funding_hours_above_p90,
        max(m.liq_cluster_share_of_oi) as pre_max_liq_cluster_share_of_oi,
        max(m.leverage_condition_score) as pre_max_score,
        {{ arg_max_of('m.regime', 'r.regime_rank') }} as pre_highest_regime,
        bool_or(m.position_size_multiplier < {{ var('multiplier_default') }}) as pre_multiplier_cut,
        max(m.oi_change_7d) filter (where m.date = e.first_day - interval 1 day) as pre_oi_change_7d
    from events as e
    left join mart as m
        on m.date between e.first_day - interval {{ w }} day and e.first_day - interval 1 day
    left join regime_rank as r on r.regime = m.regime
    group by e.event_id

),

on_the_day as (

    select
        e.event_id,
        max(m.oi_change_1d) filter (where m.date = e.first_day) as oi_change_1d,
        max(m.liq_long_usd) filter (where m.date = e.first_day) as liq_long_usd,
        max(m.liq_short_usd) filter (where m.date = e.first_day) as liq_short_usd,
        max(m.return_1d) filter (where m.date = e.first_day) as return_1d,
        max(m.regime) filter (where m.date = e.first_day) as regime_on_the_day,
        max(m.price_close_usd) filter (where m.date = e.first_day) as close_on_the_day,
        max(m.oi_index_like_for_like) filter (where m.date = e.first_day - interval 1 day) as oi_index_before,
        {{ arg_max_of('m.oi_index_like_for_like', 'm.date') }} filter (where m.date <= e.last_day) as oi_index_last,
        sum(m.liq_long_usd) filter (where m.date <= e.last_day) as span_liq_long_usd,
        sum(m.liq_short_usd) filter (where m.date <= e.last_day) as span_liq_short_usd,
        count(m.liq_long_usd) filter (where m.date <= e.last_day) as span_liq_days,
        max(m.price_close_usd) filter (where m.date = e.first_day + interval 1 day) as close_next_1d,
        max(m.price_close_usd) filter (where m.date = e.first_day + interval {{ w }} day) as close_next_7d,
        min(m.price_close_usd) filter (where m.date > e.first_day) as lowest_close_next_7d,
        count(m.price_close_usd) filter (where m.date > e.first_day) as closes_next_7d
    from events as e
    left join mart as m on m.date between e.first_day and e.first_day + interval {{ w }} day
    group by e.event_id

)

select
    cast(e.event_id as string) as event_id,
    cast(e.event_kind as string) as event_kind,
    cast(e.event_name as string) as event_name,
    cast(e.first_day as date) as first_day,
    cast(e.last_day as date) as last_day,
    cast(e.detected_by_data as boolean) as detected_by_data,
    cast(e.detected_first_day as date) as detected_first_day,
    cast(e.reported_liquidations_all_coins_usd as double) as reported_liquidations_all_coins_usd,
    cast(e.reported_liquidations_btc_usd as double) as reported_liquidations_btc_usd,
    -- the 7 days before
    cast(b.pre_days_observed as integer) as pre_days_observed,
    cast(b.pre_days_all_evaluated as integer) as pre_days_all_evaluated,
    cast(b.pre_days_oi_at_local_high as integer) as pre_days_oi_at_local_high,
    cast(b.pre_days_funding_sustained as integer) as pre_days_funding_sustained,
    cast(b.pre_days_liq_clusters_dense as integer) as pre_days_liq_clusters_dense,
    cast(b.pre_days_all_three as integer) as pre_days_all_three,
    cast(case when b.pre_days_oi_evaluated > 0 then b.pre_days_oi_at_local_high > 0 end as boolean)
        as preceded_by_oi_at_local_high,
    cast(case when b.pre_days_funding_evaluated > 0 then b.pre_days_funding_sustained > 0 end as boolean)
        as preceded_by_funding_sustained,
    cast(case when b.pre_days_clusters_evaluated > 0 then b.pre_days_liq_clusters_dense > 0 end as boolean)
        as preceded_by_liq_clusters_dense,
    cast(case when b.pre_days_all_evaluated > 0 then b.pre_days_all_three > 0 end as boolean)
        as preceded_by_all_three,
    cast(b.pre_max_funding_hours_above_p90 as integer) as pre_max_funding_hours_above_p90,
    cast(b.pre_max_liq_cluster_share_of_oi as double) as pre_max_liq_cluster_share_of_oi,
    cast(b.pre_max_score as double) as pre_max_score,
    cast(b.pre_highest_regime as string) as pre_highest_regime,
    cast(coalesce(b.pre_multiplier_cut, false) as boolean) as pre_multiplier_cut,
    cast(b.pre_oi_change_7d as double) as pre_oi_change_7d,
    -- on the first day
    cast(d.regime_on_the_day as string) as regime_on_the_day,
    cast(d.oi_change_1d as double) as oi_change_1d,
    cast(d.liq_long_usd as double) as liq_long_usd,
    cast(d.liq_short_usd as double) as liq_short_usd,
    cast(d.return_1d as double) as return_1d,
    -- over the event's span (first_day .. last_day)
    cast(d.oi_index_last / nullif(d.oi_index_before, 0) - 1 as double) as oi_change_over_event,
    cast(case when d.span_liq_days > 0 then d.span_liq_long_usd end as double) as span_liq_long_usd,
    cast(case when d.span_liq_days > 0 then d.span_liq_short_usd end as double) as span_liq_short_usd,
    -- after
    cast(d.close_next_1d / nullif(d.close_on_the_day, 0) - 1 as double) as return_next_1d,
    cast(d.close_next_7d / nullif(d.close_on_the_day, 0) - 1 as double) as return_next_7d,
    cast(case when d.closes_next_7d > 0 then least(d.lowest_close_next_7d / nullif(d.close_on_the_day, 0) - 1, 0) end
        as double) as drawdown_next_7d
from events as e
join before as b on b.event_id = e.event_id
join on_the_day as d on d.event_id = e.event_id

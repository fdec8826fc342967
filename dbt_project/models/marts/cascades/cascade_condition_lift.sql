{#-
  The event study's summary: for each condition and each set of events, how many events it preceded, and
  how often it was followed by one. Conditions: the three of the brief, all three on the same day (the
  multiplier-0.5 rule) and the regime at 'elevated' or above. Event sets: documented (the seed's cascades
  in the span), detected (events the data flags: deleveraging_events, including those matching a documented
  one) and any (every row of cascade_event_study).
    share_preceded  = events with the condition on at least one of the event_window_days (7) days before
                      / events whose window had the condition evaluated on at least one day;
    base_rate       = days the condition held / days it was evaluated (in the days with a full 7-day future);
    hit_rate        = days it held that were followed by an event starting within 1..7 days / days it held;
    unconditional   = evaluated days followed by an event within 1..7 days / evaluated days;
    lift            = hit_rate / unconditional (1: no better than any day; null when it never held).
  A condition that held before every event but on most days has a share_preceded of 1 and a lift near 1:
  it is no signal.
-#}
{%- set w = var('event_window_days') | int -%}
{%- set conditions = {
    'oi_at_local_high': 'oi_at_local_high',
    'funding_sustained_above_p90': 'funding_sustained_above_p90',
    'liq_clusters_dense': 'liq_clusters_dense',
    'all_three': "case when conditions_evaluated = 3 then conditions_met = 3 end",
    'regime_elevated_or_above': "regime in ('elevated', 'deleveraging_precondition')",
} -%}

with

mart as (

    select * from {{ ref('leverage_condition') }}

),

study as (

    select * from {{ ref('cascade_event_study') }}

),

event_sets as (

    select 'documented' as event_set, event_id, first_day,
        preceded_by_oi_at_local_high, preceded_by_funding_sustained, preceded_by_liq_clusters_dense,
        preceded_by_all_three, pre_highest_regime
    from study where event_kind = 'documented'
    union all
    select 'detected', event_id, first_day,
        preceded_by_oi_at_local_high, preceded_by_funding_sustained, preceded_by_liq_clusters_dense,
        preceded_by_all_three, pre_highest_regime
    from study where detected_by_data
    union all
    select 'any', event_id, first_day,
        preceded_by_oi_at_local_high, preceded_by_funding_sustained, preceded_by_liq_clusters_dense,
        preceded_by_all_three, pre_highest_regime
    from study

),

preceded as (

    {%- for name, column in {
        'oi_at_local_high': 'preceded_by_oi_at_local_high',
        'funding_sustained_above_p90': 'preceded_by_funding_sustained',
        'liq_clusters_dense': 'preceded_by_liq_clusters_dense',
        'all_three': 'preceded_by_all_three',
        'regime_elevated_or_above': "case when pre_highest_regime is not null then pre_highest_regime in ('elevated', 'deleveraging_precondition') end",
    }.items() %}
    select
        '{{ name }}' as condition,
        event_set,
        count({{ column }}) as events,
        count(*) filter (where {{ column }}) as events_preceded
    from event_sets
    group by event_set
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

-- days with their whole 7-day future inside the data, each condition's value, and whether an event of each
-- set starts within 1..7 days after
days as (

    select
        m.date,
        {%- for name, expression in conditions.items() %}
        {{ expression }} as {{ name }},
        {%- endfor %}
        sets.event_set,
        count(s.event_id) > 0 as followed
    from mart as m
    cross join (values ('documented'), ('detected'), ('any')) as sets(event_set)
    left join event_sets as s
        on s.event_set = sets.event_set
        and s.first_day > m.date and s.first_day <= m.date + interval {{ w }} day
    where m.date <= (select max(date) from mart) - interval {{ w }} day
    group by all

),

-- every (condition, event set), even when no day has its whole future in the data (a window under 8 days)
held as (

    {%- for name in conditions %}
    select
        '{{ name }}' as condition,
        sets.event_set,
        count(d.{{ name }}) as days_evaluated,
        count(d.date) filter (where d.{{ name }}) as days_held,
        count(d.date) filter (where d.{{ name }} and d.followed) as days_held_followed,
        count(d.date) filter (where d.{{ name }} is not null and d.followed) as days_followed
    from (values ('documented'), ('detected'), ('any')) as sets(event_set)
    left join days as d on d.event_set = sets.event_set
    group by sets.event_set
    {{ 'union all' if not loop.last }}
    {%- endfor %}

)

select
    cast(h.condition as string) as condition,
    cast(h.event_set as string) as event_set,
    cast(coalesce(p.events, 0) as integer) as events,
    cast(coalesce(p.events_preceded, 0) as integer) as events_preceded,
    cast(p.events_preceded / nullif(p.events, 0) as double) as share_preceded,
    cast(h.days_evaluated as integer) as days_evaluated,
    cast(h.days_held as integer) as days_held,
    cast(h.days_held / nullif(h.days_evaluated, 0) as double) as base_rate,
    cast(h.days_held_followed as integer) as days_held_followed,
    cast(h.days_held - h.days_held_followed as integer) as days_held_not_followed,
    cast(h.days_held_followed / nullif(h.days_held, 0) as double) as hit_rate,
    cast(h.days_followed / nullif(h.days_evaluated, 0) as double) as unconditional_rate,
    cast((h.days_held_followed / nullif(h.days_held, 0)) / nullif(h.days_followed / nullif(h.days_evaluated, 0), 0)
        as double) as lift
from held as h
left join preceded as p on p.condition = h.condition and p.event_set = h.event_set

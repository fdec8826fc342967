{#-
  BTC on exchanges per UTC day, three providers reconciled on CHANGES (their levels differ by which wallets
  each labels: CryptoQuant's all-exchange reserve ~3 M BTC, Glassnode ~78 % of it, CoinMetrics' SplyExNtv
  1.4 M in 2021 and 2.8 M in 2024 after a coverage break).

  Per provider and day: the level, its change since the previous calendar day, the provider's own net flow
  (Glassnode transfers_volume_exchanges_net, CryptoQuant netflow, CoinMetrics FlowInExNtv - FlowOutExNtv) and
  what the flow leaves unexplained. A COVERAGE BREAK is a day whose level change its own flows leave
  unexplained by more than exchange_break_share (5 %) of the previous level (without a flow that day: a
  change beyond it): the provider started (or stopped) counting some exchange. It is shown as such
  (<provider>_coverage_break, coverage_breaks, the unexplained BTC) and never read as coins moving: the
  provider's flow-consistent change that day is its measured flow, not the jump.

  The day's status compares the providers' raw daily changes: 'agreed' when max - min <= exchange_change_abs_tol_btc
  + exchange_change_rel_tol x the largest |change|, 'diverged' otherwise (a break day diverges: the jump is in
  the raw change, and coverage_breaks says why), 'single_source' with one change, 'missing' with none.

  For the mart: exchange_balance_btc is the level of the first provider of exchange_balance_providers present
  that day (exchange_balance_source), exchange_balance_change_7d that provider's chain-linked flow-consistent
  change over the 7 days ending today (each day's link 1 + change / previous level; null unless all 7 links
  exist). Point in time: only the day and the days before it are read. Small: rebuilt in full each run.
-#}
{%- set providers = ['glassnode', 'cryptoquant', 'coinmetrics'] -%}
{%- set preference = var('exchange_balance_providers') -%}
{%- set break_share = var('exchange_break_share') -%}

with

glassnode as (

    select b.date, b.balance_btc as level_btc, f.net_flow_btc as flow_btc
    from {{ ref('stg_glassnode__exchange_balance') }} as b
    left join {{ ref('stg_glassnode__exchange_net_flow') }} as f on f.date = b.date
    where {{ window_filter('b.date', none) }}

),

cryptoquant as (

    select r.date, r.reserve_btc as level_btc, f.netflow_btc as flow_btc
    from {{ ref('stg_cryptoquant__exchange_reserve') }} as r
    left join {{ ref('stg_cryptoquant__exchange_netflow') }} as f on f.date = r.date
    where {{ window_filter('r.date', none) }}

),

coinmetrics as (

    select date, supply_exchanges_btc as level_btc, net_flow_exchanges_btc as flow_btc
    from {{ ref('stg_coinmetrics__asset_metrics') }}
    where {{ window_filter('date', none) }} and supply_exchanges_btc is not null

),

levels as (

    {%- for provider in providers %}
    select '{{ provider }}' as provider, date, level_btc, flow_btc from {{ provider }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

changes as (

    select
        *,
        {{ value_days_ago('level_btc', 1, partition_by='provider') }} as previous_level_btc

    from levels

),

classified as (

    select
        *,
        level_btc - previous_level_btc as change_btc,
        level_btc - previous_level_btc - flow_btc as unexplained_btc,
        case
            when previous_level_btc is null then null
            when flow_btc is not null
                then abs(level_btc - previous_level_btc - flow_btc) > {{ break_share }} * previous_level_btc
            else abs(level_btc - previous_level_btc) > {{ break_share }} * previous_level_btc
        end as coverage_break

    from changes

),

linked as (

    select
        *,
        -- the flow-consistent change: the level's change, or on a break the provider's own measured flow
        case when coverage_break then flow_btc else change_btc end as flow_change_btc

    from classified

),

link_7d as (

    select
        *,
        -- rounded to 1e-10: a chain of exact ratios must not show float noise as a change
        case when count(link) over last_7d = 7 then round(exp(sum(ln(link)) over last_7d) - 1, 10) end as change_7d

    from (
        select *, case when 1 + flow_change_btc / previous_level_btc > 0
            then 1 + flow_change_btc / previous_level_btc end as link
        from linked
    )
    window last_7d as (partition by provider order by date range between interval 6 day preceding and current row)

),

per_day as (

    select
        date,
        count(change_btc) as changes_compared,
        max(change_btc) - min(change_btc) as change_spread_btc,
        {{ var('exchange_change_abs_tol_btc') }} + {{ var('exchange_change_rel_tol') }} * max(abs(change_btc))
            as change_tolerance_btc,
        coalesce({{ list_to_string(sorted_list('provider', filter='change_btc is not null'), "','") }}, '')
            as providers_compared,
        coalesce({{ list_to_string(sorted_list('provider', filter='coverage_break'), "','") }}, '')
            as coverage_breaks,
        {%- for provider in providers %}
        max(level_btc) filter (where provider = '{{ provider }}') as {{ provider }}_balance_btc,
        max(change_btc) filter (where provider = '{{ provider }}') as {{ provider }}_change_btc,
        max(flow_btc) filter (where provider = '{{ provider }}') as {{ provider }}_flow_btc,
        max(unexplained_btc) filter (where provider = '{{ provider }}') as {{ provider }}_unexplained_btc,
        bool_or(coverage_break) filter (where provider = '{{ provider }}') as {{ provider }}_coverage_break,
        max(change_7d) filter (where provider = '{{ provider }}') as {{ provider }}_change_7d{{ ',' if not loop.last }}
        {%- endfor %}

    from link_7d
    group by date

),

final as (

    select
        cast(date as date) as date,
        {%- for provider in providers %}
        cast({{ provider }}_balance_btc as double) as {{ provider }}_balance_btc,
        cast({{ provider }}_change_btc as double) as {{ provider }}_change_btc,
        cast({{ provider }}_flow_btc as double) as {{ provider }}_flow_btc,
        cast({{ provider }}_unexplained_btc as double) as {{ provider }}_unexplained_btc,
        cast({{ provider }}_coverage_break as boolean) as {{ provider }}_coverage_break,
        cast({{ provider }}_change_7d as double) as {{ provider }}_change_7d,
        {%- endfor %}
        cast(changes_compared as integer) as changes_compared,
        cast(providers_compared as string) as providers_compared,
        cast(change_spread_btc as double) as change_spread_btc,
        cast(change_tolerance_btc as double) as change_tolerance_btc,
        cast(case
            when changes_compared = 0 then 'missing'
            when changes_compared = 1 then 'single_source'
            when change_spread_btc <= change_tolerance_btc then 'agreed'
            else 'diverged'
        end as string) as status,
        cast(coverage_breaks as string) as coverage_breaks,
        cast(case
            {%- for provider in preference %}
            when {{ provider }}_balance_btc is not null then '{{ provider }}'
            {%- endfor %}
        end as string) as exchange_balance_source,
        cast(case
            {%- for provider in preference %}
            when {{ provider }}_balance_btc is not null then {{ provider }}_balance_btc
            {%- endfor %}
        end as double) as exchange_balance_btc,
        cast(case
            {%- for provider in preference %}
            when {{ provider }}_balance_btc is not null then {{ provider }}_change_7d
            {%- endfor %}
        end as double) as exchange_balance_change_7d

    from per_day

)

select * from final

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='date',
        on_schema_change='append_new_columns',
    )
}}

{#- CTEs in the order inputs -> conditions -> verdict -> final (casts only) -#}
{%- set oi_window = var('oi_local_high_window_days') | int -%}
{%- set oi_tol = var('oi_local_high_tolerance') -%}
{%- set sustained = var('funding_sustained_hours') | int -%}
{%- set reset_dd = var('reset_oi_drawdown') -%}
{%- set score -%}
100.0 * (coalesce(oi_component, 0) + coalesce(funding_component, 0) + coalesce(liq_component, 0))
            / nullif(conditions_evaluated, 0)
{%- endset -%}

with

-- ================================================================ inputs

-- funding (market-wide, OI-weighted) per hour: the day's values only
derivatives_hourly as (

    select * from {{ ref('int_derivatives__market_hourly') }}
    where {{ window_filter('hour') }}

),

-- market-wide OI per day, all history up to end_date: oi_max_to_date is an all-time maximum (one row a day)
market_daily as (

    select * from {{ ref('int_derivatives__market_daily') }}
    where {{ window_filter('date', none) }}

),

spot_daily as (

    select * from {{ ref('int_spot__daily') }}
    where {{ window_filter('date', var('price_lookback_days')) }}

),

-- the cluster estimate and whether it is dense against its own history
liquidation_clusters as (

    select * from {{ ref('int_liquidations__cluster_density') }}
    where {{ window_filter('date') }}

),

liquidations as (

    select * from {{ ref('int_liquidations__daily') }}
    where {{ window_filter('date') }}

),

-- liquidity: net flow into the US spot bitcoin ETFs, Farside cross-checked against SoSoValue (5 trading days
-- computed there: the closed days between them are no gap)
etf_flows as (

    select * from {{ ref('int_etf_flows__reconciled') }}
    where {{ window_filter('date') }}

),

-- liquidity on chain: BTC on exchanges (providers reconciled on changes, 7-day change inside) and stablecoin supply
exchange_balance as (

    select * from {{ ref('int_onchain__exchange_balance_reconciled') }}
    where {{ window_filter('date') }}

),

stablecoins as (

    select * from {{ ref('int_stablecoins__supply_daily') }}
    where {{ window_filter('date') }}

),

-- the day's cross-check status per metric: diverged if any check diverged, else agreed if any agreed, else
-- single_source if any source was there, else missing
cross_checks as (

    select
        date,
        {%- for metric in ['oi', 'funding', 'liquidations'] %}
        case
            when bool_or(status = 'diverged') filter (where metric = '{{ metric }}') then 'diverged'
            when bool_or(status = 'agreed') filter (where metric = '{{ metric }}') then 'agreed'
            when bool_or(status = 'single_source') filter (where metric = '{{ metric }}') then 'single_source'
            else 'missing'
        end as {{ metric }}_check_status{{ ',' if not loop.last }}
        {%- endfor %}

    from {{ ref('int_derivatives__aggregator_check') }}
    where {{ window_filter('date') }}
    group by date

),

-- day-end values: the day's last hour (23:00) for point-in-time signals, last OI observed that day
derivatives_daily as (

    select
        cast(hour as date) as date,
        avg(funding_8h_oi_weighted) as funding_8h_oi_weighted,
        max(funding_p90_trailing_365d) filter (where hour(hour) = 23) as funding_p90_trailing_365d,
        max(funding_hours_above_p90) filter (where hour(hour) = 23) as funding_hours_above_p90

    from derivatives_hourly
    group by 1

),

-- the days: market OI, funding and price joined (any of them makes a day)
days as (

    select
        coalesce(m.date, d.date, s.date) as date,
        s.price_close_usd,
        s.spot_volume_usd,
        s.kline_hours,
        m.oi_usd_crypto_native,
        m.oi_usd_cme,
        m.oi_usd_total,
        m.oi_usd_all_exchanges,
        m.crypto_native_share_of_oi,
        -- the OI condition reads the like-for-like index (the total jumps when a venue appears or vanishes)
        m.oi_index_usd as oi_index,
        m.oi_venues_present,
        m.oi_venues_carried,
        m.oi_venues_from_aggregator,
        m.oi_source,
        m.oi_link_source,
        m.stale_sources,
        m.funding_venues_present,
        m.sources_present,
        m.data_completeness,
        d.funding_8h_oi_weighted,
        d.funding_p90_trailing_365d,
        d.funding_hours_above_p90

    from market_daily as m
    full outer join derivatives_daily as d on m.date = d.date
    full outer join spot_daily as s on coalesce(m.date, d.date) = s.date

),

-- every other input joined onto those days, one row per day: the conditions below read this one row
inputs as (

    select
        days.*,
        liq.liq_clusters_dense,
        liq.oi_grain as liq_cluster_oi_grain,
        liq.liq_cluster_share_of_oi,
        liq.liq_cluster_share_p90_trailing,
        liq.heatmap_usd_within_band,
        l.liq_long_usd,
        l.liq_short_usd,
        l.liq_source,
        etf.net_flow_usd as etf_net_flow_usd,
        etf.net_flow_5d_usd as etf_net_flow_5d_usd,
        -- no reconciled row: before the first ETF day there was no ETF to trade
        coalesce(etf.status, case when days.date < cast('{{ var('etf_first_day') }}' as date) then 'no_trading'
            else 'missing' end) as etf_flow_status,
        coalesce(x.oi_check_status, 'missing') as oi_check_status,
        coalesce(x.funding_check_status, 'missing') as funding_check_status,
        coalesce(x.liquidations_check_status, 'missing') as liq_check_status,
        eb.exchange_balance_btc,
        eb.exchange_balance_change_7d,
        eb.exchange_balance_source,
        coalesce(eb.status, 'missing') as exchange_balance_status,
        coalesce(eb.coverage_breaks, '') as exchange_balance_breaks,
        sc.stablecoin_supply_usd,
        sc.stablecoin_supply_change_7d

    from days
    left join liquidation_clusters as liq on days.date = liq.date
    left join liquidations as l on days.date = l.date
    left join etf_flows as etf on days.date = etf.date
    left join cross_checks as x on days.date = x.date
    left join exchange_balance as eb on days.date = eb.date
    left join stablecoins as sc on days.date = sc.date


),

-- ================================================================ conditions

-- trailing windows over calendar days (RANGE frames: a missing day is a gap, never a shifted row)
windowed as (

    select
        *,
        {{ value_days_ago('price_close_usd', 1) }} as close_1d_ago,
        {{ value_days_ago('price_close_usd', 7) }} as close_7d_ago,
        max(price_close_usd) over (order by date range between interval 29 day preceding and current row)
            as close_high_30d,
        avg(price_close_usd) over (order by date range between interval 49 day preceding and current row)
            as close_ma_50d,
        count(price_close_usd) over (order by date range between interval 49 day preceding and current row)
            as closes_in_50d,
        {{ median_over('spot_volume_usd', '(order by date range between interval 30 day preceding and interval 1 day preceding)') }}
            as spot_volume_median_prev_30d,
        {{ value_days_ago('oi_index', 1) }} as oi_1d_ago,
        {{ value_days_ago('oi_index', 7) }} as oi_7d_ago,
        max(oi_index) over (
            order by date range between interval {{ oi_window - 1 }} day preceding and current row
        ) as oi_high_window,
        max(oi_index) over (
            order by date range between interval {{ var('reset_oi_window_days') | int - 1 }} day preceding and current row
        ) as oi_high_reset_window,
        max(oi_index) over (order by date rows between unbounded preceding and current row) as oi_index_max,
        min(case when oi_index is not null then date end) over (
            order by date rows between unbounded preceding and current row
        ) as first_oi_date

    from inputs

),

returns as (

    select
        *,
        ln(price_close_usd / close_1d_ago) as log_return_1d

    from windowed

),

volatility as (

    select
        *,
        stddev_samp(log_return_1d) over last_30d * sqrt({{ var('days_per_year') }}) as realized_vol_30d_raw,
        count(log_return_1d) over last_30d as returns_in_30d

    from returns
    window last_30d as (order by date range between interval 29 day preceding and current row)

),

conditions as (

    select
        *,
        -- a high needs oi_local_high_window_days of the series behind it: before that, unknown (null)
        case when {{ dbt.datediff('first_oi_date', 'date', 'day') }} + 1 >= {{ oi_window }}
            then oi_index >= (1 - {{ oi_tol }}) * oi_high_window end as oi_at_local_high,
        case when {{ dbt.datediff('first_oi_date', 'date', 'day') }} + 1 >= {{ oi_window }}
            then oi_index >= oi_index_max end as oi_at_all_time_high,
        -- the all-time high of the like-for-like series, in USD at today's venue coverage
        oi_usd_total * oi_index_max / nullif(oi_index, 0) as oi_max_to_date,
        funding_hours_above_p90 >= {{ sustained }} as funding_sustained_above_p90,
        case when closes_in_50d >= {{ var('price_ma_min_closes') }} then
            case when price_close_usd > close_ma_50d then 'above_50d_ma' else 'below_50d_ma' end
        end as price_structure

    from volatility

),

-- ================================================================ verdict

scored as (

    select
        *,
        coalesce(oi_at_local_high, false)::int
            + coalesce(funding_sustained_above_p90, false)::int
            + coalesce(liq_clusters_dense, false)::int as conditions_met,
        (oi_at_local_high is not null)::int
            + (funding_sustained_above_p90 is not null)::int
            + (liq_clusters_dense is not null)::int as conditions_evaluated,
        -- components in [0, 1]; null when the condition is not computable
        case when oi_at_local_high is not null
            then {{ clamp('1 - (1 - oi_index / oi_high_window) / ' ~ reset_dd) }} end as oi_component,
        case when funding_sustained_above_p90 is not null
            then {{ clamp('funding_hours_above_p90 / ' ~ sustained ~ '.0') }} end as funding_component,
        case when liq_clusters_dense is not null then liq_clusters_dense::int::double end as liq_component

    from conditions

),

verdict as (

    select
        *,
        {{ score }} as leverage_condition_score,
        case
            when conditions_met = 3 then 'deleveraging_precondition'
            when conditions_met >= {{ var('elevated_min_conditions') }}
                or {{ score }} >= {{ var('elevated_score') }} then 'elevated'
            when oi_index <= (1 - {{ reset_dd }}) * oi_high_reset_window
                and coalesce(funding_hours_above_p90, 0) = 0 then 'reset'
            else 'neutral'
        end as regime,
        case
            when oi_at_local_high and funding_sustained_above_p90 and liq_clusters_dense
                then {{ var('multiplier_all_conditions') }}
            else {{ var('multiplier_default') }}
        end as position_size_multiplier,
        concat_ws(',',
            case when oi_at_local_high then 'oi_at_local_high' end,
            case when oi_at_all_time_high then 'oi_at_all_time_high' end,
            case when oi_index > oi_7d_ago then 'oi_rising_7d' end,
            case when funding_hours_above_p90 >= 1 then 'funding_above_p90' end,
            case when funding_sustained_above_p90 then 'funding_above_p90_{{ sustained }}h' end,
            case when liq_clusters_dense then 'liq_clusters_dense' end,
            case when etf_net_flow_5d_usd < -{{ var('etf_flow_trend_5d_usd') }} then 'etf_outflows_5d' end,
            case when price_structure = 'below_50d_ma' then 'price_below_50d_ma' end,
            case when exchange_balance_change_7d > {{ var('exchange_balance_trend_7d') }}
                then 'exchange_balance_rising_7d' end,
            case when stablecoin_supply_change_7d < -{{ var('stablecoin_trend_7d') }}
                then 'stablecoin_supply_falling_7d' end
        ) as confirmations,
        concat_ws(',',
            case when oi_at_local_high = false then 'oi_below_local_high' end,
            case when oi_index < oi_7d_ago then 'oi_falling_7d' end,
            case when funding_hours_above_p90 = 0 then 'funding_at_or_below_p90' end,
            case when funding_8h_oi_weighted < 0 then 'funding_negative' end,
            case when liq_clusters_dense = false then 'liq_clusters_sparse' end,
            case when etf_net_flow_5d_usd > {{ var('etf_flow_trend_5d_usd') }} then 'etf_inflows_5d' end,
            case when price_structure = 'above_50d_ma' then 'price_above_50d_ma' end,
            case when spot_volume_usd > spot_volume_median_prev_30d then 'spot_volume_above_30d_median' end,
            case when exchange_balance_change_7d < -{{ var('exchange_balance_trend_7d') }}
                then 'exchange_balance_falling_7d' end,
            case when stablecoin_supply_change_7d > {{ var('stablecoin_trend_7d') }}
                then 'stablecoin_supply_rising_7d' end
        ) as cancellations

    from scored

),

-- ================================================================ final: names and types

final as (

    select
        cast(date as date) as date,
        cast('BTC' as string) as asset,
        -- price
        cast(price_close_usd as double) as price_close_usd,
        cast(price_close_usd / close_1d_ago - 1 as double) as return_1d,
        cast(price_close_usd / close_7d_ago - 1 as double) as return_7d,
        cast(price_close_usd / close_high_30d - 1 as double) as drawdown_from_30d_high,
        cast(case when returns_in_30d >= {{ var('realized_vol_min_returns') }} then realized_vol_30d_raw end as double)
            as realized_vol_30d,
        cast(spot_volume_usd as double) as spot_volume_usd,
        cast(spot_volume_usd / nullif(spot_volume_median_prev_30d, 0) as double) as spot_volume_vs_30d_median,
        cast(price_structure as string) as price_structure,
        -- leverage
        cast(oi_usd_crypto_native as double) as oi_usd_crypto_native,
        cast(oi_usd_cme as double) as oi_usd_cme,
        cast(oi_usd_total as double) as oi_usd_total,
        cast(crypto_native_share_of_oi as double) as crypto_native_share_of_oi,
        cast(oi_index as double) as oi_index_like_for_like,
        -- a day with nothing comparable to the day before (a stale or missing provider day: its level is
        -- only carried) has no 1-day change, not a change of 0
        cast(case when coalesce(oi_link_source, '') <> 'none' then oi_index / oi_1d_ago - 1 end as double)
            as oi_change_1d,
        cast(oi_index / oi_7d_ago - 1 as double) as oi_change_7d,
        cast(oi_max_to_date as double) as oi_max_to_date,
        cast(oi_at_local_high as boolean) as oi_at_local_high,
        cast(oi_at_all_time_high as boolean) as oi_at_all_time_high,
        cast(funding_8h_oi_weighted as double) as funding_8h_oi_weighted,
        -- 8 h periods per year: 24 / 8 x days_per_year
        cast(funding_8h_oi_weighted * {{ var('days_per_year') * 24 / 8 }} as double) as funding_apr,
        cast(funding_p90_trailing_365d as double) as funding_p90_trailing_365d,
        cast(funding_hours_above_p90 as integer) as funding_hours_above_p90,
        cast(funding_sustained_above_p90 as boolean) as funding_sustained_above_p90,
        cast(liq_long_usd as double) as liq_long_usd,
        cast(liq_short_usd as double) as liq_short_usd,
        cast(liq_source as string) as liq_source,
        -- the estimate's share of OI applied to the day's crypto-native OI (int_liquidations__daily_clusters);
        -- where that is unknown (total OI from the all-exchange aggregate) to the aggregate its share is of
        cast(liq_cluster_share_of_oi * coalesce(oi_usd_crypto_native, oi_usd_all_exchanges) as double)
            as liq_cluster_usd_within_5pct,
        cast(liq_cluster_share_of_oi as double) as liq_cluster_share_of_oi,
        cast(heatmap_usd_within_band as double) as liq_cluster_heatmap_usd_within_5pct,
        cast(liq_cluster_share_p90_trailing as double) as liq_cluster_share_p90_trailing,
        cast(liq_clusters_dense as boolean) as liq_clusters_dense,
        cast(liq_cluster_oi_grain as string) as liq_cluster_oi_grain,
        -- liquidity: spot ETF flows
        cast(etf_net_flow_usd as double) as etf_net_flow_usd,
        cast(etf_net_flow_5d_usd as double) as etf_net_flow_5d_usd,
        cast(etf_flow_status as string) as etf_flow_status,
        -- liquidity: stablecoin supply and BTC on exchanges
        cast(stablecoin_supply_usd as double) as stablecoin_supply_usd,
        cast(stablecoin_supply_change_7d as double) as stablecoin_supply_change_7d,
        cast(exchange_balance_btc as double) as exchange_balance_btc,
        cast(exchange_balance_change_7d as double) as exchange_balance_change_7d,
        cast(exchange_balance_status as string) as exchange_balance_status,
        cast(exchange_balance_source as string) as exchange_balance_source,
        cast(exchange_balance_breaks as string) as exchange_balance_breaks,
        -- verdict
        cast(conditions_met as integer) as conditions_met,
        cast(conditions_evaluated as integer) as conditions_evaluated,
        cast(round(leverage_condition_score, 4) as double) as leverage_condition_score,
        cast(regime as string) as regime,
        cast(position_size_multiplier as double) as position_size_multiplier,
        cast(confirmations as string) as confirmations,
        cast(cancellations as string) as cancellations,
        cast(coalesce(oi_venues_present, '') as string) as oi_venues_present,
        cast(coalesce(oi_venues_carried, '') as string) as oi_venues_carried,
        cast(coalesce(oi_venues_from_aggregator, '') as string) as oi_venues_from_aggregator,
        cast(oi_source as string) as oi_source,
        cast(coalesce(oi_link_source, 'none') as string) as oi_link_source,
        cast(coalesce(stale_sources, '') as string) as stale_sources,
        cast(coalesce(funding_venues_present, '') as string) as funding_venues_present,
        cast(oi_check_status as string) as oi_check_status,
        cast(funding_check_status as string) as funding_check_status,
        cast(liq_check_status as string) as liq_check_status,
        cast(coalesce(sources_present, '') as string) as sources_present,
        cast(coalesce(data_completeness, 0) as double) as data_completeness,
        cast(date as timestamp) + interval 1 day as as_of

    from verdict
    where {{ window_filter('date') }}

)

select * from final

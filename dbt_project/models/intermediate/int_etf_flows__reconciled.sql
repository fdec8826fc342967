{#-
  US spot bitcoin ETF net flow per calendar day from the first ETF day (var etf_first_day): Farside's total
  (its reported Total, else its funds summed; US$ millions converted to USD) against SoSoValue's
  totalNetInflow (USD), the difference, the tolerance (|farside - sosovalue| <= etf_flow_abs_tol_usd +
  etf_flow_rel_tol x |sosovalue|, macro agreement_status) and a status:
    agreed / diverged / single_source / missing  on US trading days;
    no_trading                                  on weekends and US market holidays (macro us_market_holidays):
                                                 no flow, not a zero reported as data.
  net_flow_usd is Farside's figure (the canonical aggregator), SoSoValue's where Farside has none; null on
  closed days. net_flow_5d_usd sums the 5 trading days up to the day (on a closed day: up to the trading day
  before), null unless all 5 have a figure.
  The calendar runs to the later of today (UTC) and the latest day a source reports, within the run window:
  a trading day no source reported yet reads 'missing'. Small: rebuilt in full each run from all history up to
  end_date (every window looks back only).
-#}
{%- set first_day = var('etf_first_day') -%}
with

farside as (

    select
        date,
        -- one Total per day, repeated on each fund's row
        max(day_total_usd) as reported_total_usd,
        {{ ordered_agg('sum', 'flow_usd', 'ticker') }} as issuers_sum_usd,
        count(*) as issuers

    from {{ ref('int_etf_flows__by_issuer') }}
    group by date

),

sosovalue as (

    select date, net_inflow_usd from {{ ref('stg_sosovalue__flows') }}
    where {{ window_filter('date', none) }}

),

holidays as (

    select day from {{ us_market_holidays(2024, 2050) }} as h

),

last_day as (

    select greatest({{ utc_today() }},
                    (select max(date) from farside), (select max(date) from sosovalue)) as day

),

calendar as (

    select date from (
        select cast(day as date) as date from (
            select {{ series("cast('" ~ first_day ~ "' as timestamp)", 'cast(day as timestamp)', 'interval 1 day') }} as day
            from last_day
        ) as days_from_first
    ) as spine
    where {{ window_filter('date', none) }}

),

days as (

    select
        c.date,
        case
            when {{ iso_dow('c.date') }} >= 6 then 'weekend'
            when h.day is not null then 'market_holiday'
            else 'trading'
        end as market_day

    from calendar as c
    left join holidays as h on h.day = c.date

),

compared as (

    select
        d.date,
        d.market_day,
        coalesce(f.reported_total_usd, f.issuers_sum_usd) as farside_total_usd,
        f.issuers as farside_issuers,
        s.net_inflow_usd as sosovalue_total_usd,
        {{ var('etf_flow_abs_tol_usd') }} as abs_tolerance,
        {{ var('etf_flow_rel_tol') }} as rel_tolerance

    from days as d
    left join farside as f on f.date = d.date
    left join sosovalue as s on s.date = d.date

),

statused as (

    select
        *,
        case
            when market_day != 'trading' then 'no_trading'
            else {{ agreement_status('farside_total_usd', 'sosovalue_total_usd', 'abs_tolerance', 'rel_tolerance') }}
        end as status,
        case when market_day = 'trading' then coalesce(farside_total_usd, sosovalue_total_usd) end as net_flow_usd,
        case
            when market_day != 'trading' then null
            when farside_total_usd is not null then 'farside'
            when sosovalue_total_usd is not null then 'sosovalue'
        end as net_flow_source,
        max(case when market_day = 'trading' then date end) over (
            order by date rows between unbounded preceding and current row) as last_trading_day

    from compared

),

-- the trailing 5 trading days (rows of trading days only: a closed day is no gap)
trading_5d as (

    select
        date,
        case when count(net_flow_usd) over last_5 = 5 then sum(net_flow_usd) over last_5 end as net_flow_5d_usd

    from statused
    where market_day = 'trading'
    window last_5 as (order by date rows between 4 preceding and current row)

),

final as (

    select
        cast(s.date as date) as date,
        cast(s.market_day as string) as market_day,
        cast(s.farside_total_usd as double) as farside_total_usd,
        cast(s.farside_issuers as integer) as farside_issuers,
        cast(s.sosovalue_total_usd as double) as sosovalue_total_usd,
        cast(s.farside_total_usd - s.sosovalue_total_usd as double) as difference_usd,
        cast((s.farside_total_usd - s.sosovalue_total_usd) / nullif(abs(s.sosovalue_total_usd), 0) as double)
            as relative_difference,
        cast(s.abs_tolerance as double) as abs_tolerance,
        cast(s.rel_tolerance as double) as rel_tolerance,
        cast(s.status as string) as status,
        cast(s.net_flow_usd as double) as net_flow_usd,
        cast(s.net_flow_source as string) as net_flow_source,
        cast(t.net_flow_5d_usd as double) as net_flow_5d_usd

    from statused as s
    left join trading_5d as t on t.date = s.last_trading_day

)

select * from final

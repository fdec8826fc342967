{#-
  US spot bitcoin ETF flows per fund and US trading day (Farside, the canonical per-issuer source), USD, with
  each fund's running total since its first reported day and its share of the day's gross flow. Funds are
  whatever tickers Farside heads its columns with: a new fund appears on its first day, no list to maintain.
  Small (a dozen rows a trading day): rebuilt in full each run from all history up to end_date.
-#}
with

flows as (

    select * from {{ ref('stg_farside__flows') }}
    where {{ window_filter('date', none) }}

),

holidays as (

    select day from {{ us_market_holidays(2024, 2050) }} as h

),

enriched as (

    select
        f.date,
        f.ticker,
        f.flow_usd,
        sum(f.flow_usd) over per_fund as cum_flow_usd,
        min(f.date) over (partition by f.ticker) as first_flow_date,
        abs(f.flow_usd) / nullif(sum(abs(f.flow_usd)) over (partition by f.date), 0) as share_of_day_gross,
        f.day_total_usd,
        {{ iso_dow('f.date') }} < 6 and h.day is null as on_trading_day

    from flows as f
    left join holidays as h on h.day = f.date
    window per_fund as (partition by f.ticker order by f.date rows between unbounded preceding and current row)

),

final as (

    select
        cast(date as date) as date,
        cast(ticker as string) as ticker,
        cast(flow_usd as double) as flow_usd,
        cast(cum_flow_usd as double) as cum_flow_usd,
        cast(first_flow_date as date) as first_flow_date,
        cast(share_of_day_gross as double) as share_of_day_gross,
        cast(day_total_usd as double) as day_total_usd,
        cast(on_trading_day as boolean) as on_trading_day

    from enriched

)

select * from final

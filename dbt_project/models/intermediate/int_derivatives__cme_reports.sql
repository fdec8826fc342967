{#-
  CME Bitcoin futures reports (standard 5 BTC + micro 0.1 BTC contracts summed), one row per report, with the
  first UTC day by whose end each was out (available_from): positions as of Tuesday are released on Friday
  15:30 ET (~20:30 UTC); in a week with a US federal holiday (Monday to Friday, macro us_federal_holidays) the
  release moves to the next Monday. Why: a day may use a report only once it was out (point in time).
-#}
with

reports as (

    select * from {{ ref('stg_cftc__cme_open_interest') }}
    where contract_market_code in ('133741', '133742')

),

released as (

    select
        *,
        cast(date_trunc('week', report_date) as date) + case when exists (
            select 1 from {{ us_federal_holidays(2017, 2035) }} as holidays
            where holidays.day between cast(date_trunc('week', reports.report_date) as date)
                and cast(date_trunc('week', reports.report_date) as date) + 4
        ) then 7 else 4 end as available_from

    from reports
    where {{ window_filter('report_date', none) }}

),

final as (

    select
        cast(report_date as date) as report_date,
        cast(max(available_from) as date) as available_from,
        cast(sum(oi_btc) as double) as oi_btc,
        cast(sum(lev_money_long_btc) as double) as lev_money_long_btc,
        cast(sum(lev_money_short_btc) as double) as lev_money_short_btc,
        cast(count(*) as integer) as contract_markets

    from released
    group by report_date

)

select * from final

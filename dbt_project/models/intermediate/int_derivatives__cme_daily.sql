{#-
  CME Bitcoin futures open interest per UTC day, POINT IN TIME: day D carries the latest CFTC report
  RELEASED by the end of D (available_from <= D: the report week's Friday, its next Monday in a federal-holiday
  week: int_derivatives__cme_reports), standard (5 BTC) + micro (0.1 BTC)
  contracts, valued at D's spot close. Small (one row a day): rebuilt in full each run up to end_date.
-#}
{%- set max_age = var('cme_max_report_age_days') | int -%}
{%- set fresh_age = var('cme_fresh_report_age_days') | int -%}

with

reports as (

    select * from {{ ref('int_derivatives__cme_reports') }}
    where {{ window_filter('available_from', none) }}

),

spot as (

    select date, price_close_usd
    from {{ ref('int_spot__daily') }}
    where {{ window_filter('date', none) }}

),

days as (

    select cast(day as date) as date
    from (
        select {{ series('first_day', 'last_day', 'interval 1 day') }} as day
        from (
            select
                cast(min(available_from) as timestamp) as first_day,
                cast(greatest(max(available_from), (select max(date) from spot)) as timestamp) as last_day
            from reports
        )
        where first_day is not null
    ) as spine

),

carried as (

    select
        days.date,
        reports.report_date,
        reports.available_from,
        reports.oi_btc,
        reports.lev_money_long_btc,
        reports.lev_money_short_btc,
        reports.contract_markets

    -- the latest report out by the day (what DuckDB's asof join does, in SQL every engine runs)
    from days
    left join reports on days.date >= reports.available_from
    qualify row_number() over (partition by days.date order by reports.available_from desc) = 1

),

final as (

    select
        cast(c.date as date) as date,
        cast(c.report_date as date) as report_date,
        cast(c.available_from as date) as report_available_from,
        cast({{ dbt.datediff('c.report_date', 'c.date', 'day') }} as integer) as report_age_days,
        cast({{ dbt.datediff('c.report_date', 'c.date', 'day') }} <= {{ fresh_age }} as boolean) as report_is_fresh,
        cast(c.oi_btc as double) as oi_btc_cme,
        cast(c.oi_btc * s.price_close_usd as double) as oi_usd_cme,
        cast(c.lev_money_long_btc as double) as lev_money_long_btc,
        cast(c.lev_money_short_btc as double) as lev_money_short_btc,
        cast(c.contract_markets as integer) as contract_markets

    from carried as c
    left join spot as s on c.date = s.date
    -- a report is carried at most cme_max_report_age_days after its report_date
    where c.report_date is not null
      and {{ dbt.datediff('c.report_date', 'c.date', 'day') }} <= {{ max_age }}
      and {{ window_filter('c.date', none) }}

)

select * from final

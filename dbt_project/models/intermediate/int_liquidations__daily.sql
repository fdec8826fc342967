{#-
  Long and short liquidations per UTC day on the crypto-native venues (BTC only). CoinGlass's aggregated
  history for the venues' exchange list is preferred (one provider's collection for every venue); Coinalyze's
  per-venue history, summed, fills the days CoinGlass lacks (an outage, a keyless run). liq_source names the
  provider; liq_venues the venues the Coinalyze sum covered. The two are cross-checked in
  int_derivatives__aggregator_check, never blended. Small (one row a day): rebuilt in full each run.
-#}
with

coinglass as (

    select date, long_usd, short_usd
    from {{ ref('stg_coinglass__liquidations') }}
    where {{ window_filter('date', none) }}

),

coinalyze as (

    select
        date,
        {{ ordered_agg('sum', 'long_usd', 'venue') }} as long_usd,
        {{ ordered_agg('sum', 'short_usd', 'venue') }} as short_usd,
        {{ list_to_string(sorted_list('venue'), "','") }} as venues

    from {{ ref('stg_coinalyze__liquidations') }}
    where {{ window_filter('date', none) }}
    group by date

),

final as (

    select
        cast(coalesce(g.date, a.date) as date) as date,
        cast(coalesce(g.long_usd, a.long_usd) as double) as liq_long_usd,
        cast(coalesce(g.short_usd, a.short_usd) as double) as liq_short_usd,
        cast(case when g.date is not null then 'coinglass' else 'coinalyze' end as string) as liq_source,
        cast(case when g.date is null then a.venues end as string) as liq_venues

    from coinglass as g
    full outer join coinalyze as a on a.date = g.date

)

select * from final

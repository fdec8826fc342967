{#-
  Total USD stablecoin supply per UTC day (DefiLlama, all chains): the day's point and its change over 1 and
  7 calendar days (null when the day 1 / 7 days before has no point: a gap is never bridged). Supply that grows
  is dry powder that can absorb a flush; supply that shrinks is liquidity leaving. Point in time: only the day
  and the days before it are read. Small: rebuilt in full each run.
-#}
with

supply as (

    select date, stablecoin_supply_usd, stablecoin_supply_units
    from {{ ref('stg_defillama__stablecoin_supply') }}
    where {{ window_filter('date', none) }}

),

windowed as (

    select
        *,
        {{ value_days_ago('stablecoin_supply_usd', 1) }} as supply_1d_ago,
        {{ value_days_ago('stablecoin_supply_usd', 7) }} as supply_7d_ago

    from supply

),

final as (

    select
        cast(date as date) as date,
        cast(stablecoin_supply_usd as double) as stablecoin_supply_usd,
        cast(stablecoin_supply_units as double) as stablecoin_supply_units,
        cast(stablecoin_supply_usd / supply_1d_ago - 1 as double) as stablecoin_supply_change_1d,
        cast(stablecoin_supply_usd / supply_7d_ago - 1 as double) as stablecoin_supply_change_7d,
        cast('defillama' as string) as stablecoin_source

    from windowed

)

select * from final

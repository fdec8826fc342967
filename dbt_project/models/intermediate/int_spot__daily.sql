{#- small (one row per day): rebuilt in full each run; the mart applies the run window -#}
with

klines as (

    select * from {{ ref('stg_binance__spot_klines') }}
    where symbol = 'BTCUSDT'
      and kline_interval = '1h'

),

daily as (

    select
        cast(open_time as date) as date,
        -- the day's close = close of its last hourly candle present (23:00 when complete)
        {{ arg_max_of('close_usd', 'open_time') }} as price_close_usd,
        max(high_usd) as price_high_usd,
        min(low_usd) as price_low_usd,
        sum(volume_usd) as spot_volume_usd,
        sum(volume_btc) as spot_volume_btc,
        count(*) as kline_hours,
        max(open_time) as last_kline_open_time

    from klines
    group by 1

),

final as (

    select
        cast(date as date) as date,
        cast('binance' as string) as venue,
        cast(price_close_usd as double) as price_close_usd,
        cast(price_high_usd as double) as price_high_usd,
        cast(price_low_usd as double) as price_low_usd,
        cast(spot_volume_usd as double) as spot_volume_usd,
        cast(spot_volume_btc as double) as spot_volume_btc,
        cast(kline_hours as integer) as kline_hours,
        cast(last_kline_open_time as timestamp) as last_kline_open_time

    from daily

)

select * from final

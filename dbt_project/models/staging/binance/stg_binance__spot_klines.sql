with

source as (

    select * from {{ source('raw', 'binance__spot_klines') }}

),

renamed as (

    select
        cast(symbol as string) as symbol,
        cast(interval as string) as kline_interval,
        cast(open_time as timestamp) as open_time,
        cast(close_time as timestamp) as close_time,
        cast(open as double) as open_usd,
        cast(high as double) as high_usd,
        cast(low as double) as low_usd,
        cast(close as double) as close_usd,
        cast(volume as double) as volume_btc,
        cast(quote_volume as double) as volume_usd,
        cast(trades as bigint) as trades,
        cast(taker_buy_base as double) as taker_buy_volume_btc,
        cast(taker_buy_quote as double) as taker_buy_volume_usd,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a candle landed twice keeps one copy
    qualify row_number() over (partition by symbol, interval, open_time order by payload_sha256) = 1

)

select * from renamed

with

source as (

    select * from {{ source('raw', 'binance__spot_klines') }}

),

renamed as (

    select
        symbol,
        interval as kline_interval,
        open_time,
        close_time,
        open as open_usd,
        high as high_usd,
        low as low_usd,
        close as close_usd,
        volume as volume_btc,
        quote_volume as volume_usd,
        trades,
        taker_buy_base as taker_buy_volume_btc,
        taker_buy_quote as taker_buy_volume_usd,
        payload_sha256

    from source

),

casted as (

    select
        cast(symbol as varchar) as symbol,
        cast(kline_interval as varchar) as kline_interval,
        cast(open_time as timestamp) as open_time,
        cast(close_time as timestamp) as close_time,
        cast(open_usd as double) as open_usd,
        cast(high_usd as double) as high_usd,
        cast(low_usd as double) as low_usd,
        cast(close_usd as double) as close_usd,
        cast(volume_btc as double) as volume_btc,
        cast(volume_usd as double) as volume_usd,
        cast(trades as bigint) as trades,
        cast(taker_buy_volume_btc as double) as taker_buy_volume_btc,
        cast(taker_buy_volume_usd as double) as taker_buy_volume_usd,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    select * from casted
    qualify row_number() over (
        partition by symbol, kline_interval, open_time order by payload_sha256
    ) = 1

)

select * from deduplicated

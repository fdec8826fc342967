with

source as (

    select * from {{ source('raw', 'binance__funding') }}

),

renamed as (

    select
        cast(symbol as string) as symbol,
        cast(funding_time as timestamp) as funding_time,
        cast(funding_rate as double) as funding_rate,
        -- Binance BTCUSDT pays every 8 h (per-symbol intervals can change: read fundingInfo when they do)
        cast(8 as integer) as funding_interval_hours,
        cast(mark_price as double) as mark_price_usd,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a day landed twice keeps one copy
    qualify row_number() over (partition by symbol, funding_time order by payload_sha256) = 1

)

select * from renamed

with

source as (

    select * from {{ source('raw', 'dydx__open_interest') }}

),

renamed as (

    select
        cast(ticker as string) as ticker,
        -- starting_open_interest holds at the candle start
        cast(started_at as timestamp) as observed_at,
        cast(starting_open_interest as double) as oi_btc,
        cast(close as double) as close_usd,
        cast(usd_volume as double) as volume_usd,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a candle landed twice keeps one copy
    qualify row_number() over (partition by ticker, started_at order by payload_sha256) = 1

)

select * from renamed

with

source as (

    select * from {{ source('raw', 'dydx__open_interest') }}

),

renamed as (

    select
        ticker,
        -- starting_open_interest holds at the candle start
        started_at as observed_at,
        starting_open_interest as oi_btc,
        close as close_usd,
        usd_volume as volume_usd,
        payload_sha256

    from source

),

casted as (

    select
        cast(ticker as varchar) as ticker,
        cast(observed_at as timestamp) as observed_at,
        cast(oi_btc as double) as oi_btc,
        cast(close_usd as double) as close_usd,
        cast(volume_usd as double) as volume_usd,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    select * from casted
    qualify row_number() over (partition by ticker, observed_at order by payload_sha256) = 1

)

select * from deduplicated

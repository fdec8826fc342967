with

source as (

    select * from {{ source('raw', 'bybit__open_interest') }}

),

renamed as (

    select
        symbol,
        interval as oi_interval,
        ts as observed_at,
        oi_btc,
        payload_sha256

    from source

),

casted as (

    select
        cast(symbol as varchar) as symbol,
        cast(oi_interval as varchar) as oi_interval,
        cast(observed_at as timestamp) as observed_at,
        cast(oi_btc as double) as oi_btc,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    select * from casted
    qualify row_number() over (partition by symbol, observed_at order by payload_sha256) = 1

)

select * from deduplicated

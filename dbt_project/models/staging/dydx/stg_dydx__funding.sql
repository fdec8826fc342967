with

source as (

    select * from {{ source('raw', 'dydx__funding') }}

),

renamed as (

    select
        ticker,
        effective_at as funding_time,
        rate as funding_rate,
        price as price_usd,
        effective_at_height as block_height,
        payload_sha256

    from source

),

casted as (

    select
        cast(ticker as varchar) as ticker,
        cast(funding_time as timestamp) as funding_time,
        cast(funding_rate as double) as funding_rate,
        -- dYdX pays every hour: rate is per 1 h
        cast(1 as integer) as funding_interval_hours,
        cast(price_usd as double) as price_usd,
        cast(block_height as bigint) as block_height,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    select * from casted
    qualify row_number() over (partition by ticker, funding_time order by payload_sha256) = 1

)

select * from deduplicated

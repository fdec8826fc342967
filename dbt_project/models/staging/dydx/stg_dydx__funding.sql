with

source as (

    select * from {{ source('raw', 'dydx__funding') }}

),

renamed as (

    select
        cast(ticker as string) as ticker,
        cast(effective_at as timestamp) as funding_time,
        cast(rate as double) as funding_rate,
        -- dYdX pays every hour: rate is per 1 h
        cast(1 as integer) as funding_interval_hours,
        cast(price as double) as price_usd,
        cast(effective_at_height as bigint) as block_height,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a settlement landed twice keeps one copy
    qualify row_number() over (partition by ticker, effective_at order by payload_sha256) = 1

)

select * from renamed

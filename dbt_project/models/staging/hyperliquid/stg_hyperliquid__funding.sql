with

source as (

    select * from {{ source('raw', 'hyperliquid__funding') }}

),

renamed as (

    select
        cast(coin as string) as coin,
        cast(funding_time as timestamp) as funding_time,
        cast(funding_rate as double) as funding_rate,
        -- Hyperliquid settles every hour: rate is per 1 h
        cast(1 as integer) as funding_interval_hours,
        cast(premium as double) as premium,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a settlement landed twice keeps one copy
    qualify row_number() over (partition by coin, funding_time order by payload_sha256) = 1

)

select * from renamed

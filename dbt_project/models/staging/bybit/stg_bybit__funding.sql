with

source as (

    select * from {{ source('raw', 'bybit__funding') }}

),

renamed as (

    select
        cast(symbol as string) as symbol,
        cast(funding_time as timestamp) as funding_time,
        cast(funding_rate as double) as funding_rate,
        -- Bybit BTCUSDT settles every 8 h (instruments-info fundingInterval 480 min)
        cast(8 as integer) as funding_interval_hours,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a settlement landed twice keeps one copy
    qualify row_number() over (partition by symbol, funding_time order by payload_sha256) = 1

)

select * from renamed

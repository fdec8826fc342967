with

source as (

    select * from {{ source('raw', 'coinglass__oi_aggregated') }}

),

renamed as (

    select
        cast(symbol as varchar) as symbol,
        cast("interval" as varchar) as bar_interval,
        -- a daily bar starts at the day's 00:00 UTC; its close is the level at the day's end
        cast("time" as date) as date,
        cast(close_usd as double) as oi_usd,
        cast(payload_sha256 as varchar) as payload_sha256

    from source
    -- a day landed twice keeps one copy
    qualify row_number() over (partition by symbol, cast("time" as date) order by payload_sha256) = 1

)

select * from renamed

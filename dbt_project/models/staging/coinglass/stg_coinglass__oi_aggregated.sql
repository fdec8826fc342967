with

source as (

    select * from {{ source('raw', 'coinglass__oi_aggregated') }}

),

renamed as (

    select
        symbol,
        "interval" as bar_interval,
        -- a daily bar starts at the day's 00:00 UTC; its close is the level at the day's end
        cast("time" as date) as date,
        close_usd as oi_usd,
        payload_sha256

    from source

),

casted as (

    select
        cast(symbol as varchar) as symbol,
        cast(bar_interval as varchar) as bar_interval,
        cast(date as date) as date,
        cast(oi_usd as double) as oi_usd,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    select * from casted
    qualify row_number() over (partition by symbol, date order by payload_sha256) = 1

)

select * from deduplicated

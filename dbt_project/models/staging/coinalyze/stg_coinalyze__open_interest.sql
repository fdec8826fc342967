with

source as (

    select * from {{ source('raw', 'coinalyze__open_interest') }}

),

renamed as (

    select
        symbol,
        venue,
        "interval" as bar_interval,
        -- a daily bar's close is the venue's OI at the end of that UTC day
        cast(t as date) as date,
        close_usd as oi_usd,
        payload_sha256

    from source

),

casted as (

    select
        cast(symbol as varchar) as symbol,
        cast(venue as varchar) as venue,
        cast(bar_interval as varchar) as bar_interval,
        cast(date as date) as date,
        cast(oi_usd as double) as oi_usd,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    select * from casted
    qualify row_number() over (partition by venue, date order by payload_sha256) = 1

)

select * from deduplicated

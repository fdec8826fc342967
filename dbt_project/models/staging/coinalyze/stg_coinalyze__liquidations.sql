with

source as (

    select * from {{ source('raw', 'coinalyze__liquidations') }}

),

renamed as (

    select
        symbol,
        venue,
        "interval" as bar_interval,
        cast(t as date) as date,
        long_usd,
        short_usd,
        payload_sha256

    from source

),

casted as (

    select
        cast(symbol as varchar) as symbol,
        cast(venue as varchar) as venue,
        cast(bar_interval as varchar) as bar_interval,
        cast(date as date) as date,
        cast(long_usd as double) as long_usd,
        cast(short_usd as double) as short_usd,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    select * from casted
    qualify row_number() over (partition by venue, date order by payload_sha256) = 1

)

select * from deduplicated

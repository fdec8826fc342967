with

source as (

    select * from {{ source('raw', 'coinalyze__liquidations') }}

),

renamed as (

    select
        cast(symbol as string) as symbol,
        cast(venue as string) as venue,
        cast({{ adapter.quote('interval') }} as string) as bar_interval,
        cast(t as date) as date,
        cast(long_usd as double) as long_usd,
        cast(short_usd as double) as short_usd,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a day landed twice keeps one copy
    qualify row_number() over (partition by venue, cast(t as date) order by payload_sha256) = 1

)

select * from renamed

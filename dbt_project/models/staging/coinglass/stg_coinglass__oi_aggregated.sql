with

source as (

    select * from {{ source('raw', 'coinglass__oi_aggregated') }}

),

renamed as (

    select
        cast(symbol as string) as symbol,
        cast({{ adapter.quote('interval') }} as string) as bar_interval,
        -- a daily bar starts at the day's 00:00 UTC; its close is the level at the day's end
        cast({{ adapter.quote('time') }} as date) as date,
        cast(close_usd as double) as oi_usd,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a day landed twice keeps one copy
    qualify row_number() over (partition by symbol, cast({{ adapter.quote('time') }} as date) order by payload_sha256) = 1

)

select * from renamed

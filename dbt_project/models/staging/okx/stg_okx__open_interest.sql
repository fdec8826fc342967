with

source as (

    select * from {{ source('raw', 'okx__open_interest') }}

),

renamed as (

    select
        ccy as currency,
        period,
        -- OKX rubik rows: the value at the bucket start (a '1D' row = OI at that day's 00:00)
        ts as observed_at,
        oi_usd,
        volume_usd,
        payload_sha256

    from source

),

casted as (

    select
        cast(currency as varchar) as currency,
        cast(period as varchar) as period,
        cast(observed_at as timestamp) as observed_at,
        cast(oi_usd as double) as oi_usd,
        cast(volume_usd as double) as volume_usd,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    -- one row per instant; where '1H' and '1D' rows share an instant, the hourly row wins
    select * from casted
    qualify row_number() over (
        partition by currency, observed_at
        order by case period when '1H' then 0 else 1 end, payload_sha256
    ) = 1

)

select * from deduplicated

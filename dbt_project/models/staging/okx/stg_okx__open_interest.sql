with

source as (

    select * from {{ source('raw', 'okx__open_interest') }}

),

renamed as (

    select
        cast(ccy as string) as currency,
        cast(period as string) as period,
        -- OKX rubik rows: the value at the bucket start (a '1D' row = OI at that day's 00:00)
        cast(ts as timestamp) as observed_at,
        cast(oi_usd as double) as oi_usd,
        cast(volume_usd as double) as volume_usd,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a row landed twice keeps one copy (where '1H' and '1D' share an instant, int_derivatives__venue_hourly picks)
    qualify row_number() over (partition by ccy, period, ts order by payload_sha256) = 1

)

select * from renamed

with

source as (

    select * from {{ source('raw', 'bybit__open_interest') }}

),

renamed as (

    select
        cast(symbol as string) as symbol,
        cast(interval as string) as oi_interval,
        cast(ts as timestamp) as observed_at,
        cast(oi_btc as double) as oi_btc,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- an observation landed twice keeps one copy
    qualify row_number() over (partition by symbol, ts order by payload_sha256) = 1

)

select * from renamed

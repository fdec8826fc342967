with

source as (

    select * from {{ source('raw', 'deribit__open_interest') }}

),

renamed as (

    select
        instrument_name as instrument,
        partition_date,
        ts as snapshot_at,
        -- the daily snapshot (taken just after the partition day's end) closes that day: it is assigned to
        -- the day's last hour, 23:00, so it never reaches into the following day
        cast(partition_date as timestamp) + interval 23 hour as observed_at,
        oi_usd,
        mark_price as mark_price_usd,
        payload_sha256

    from source

),

casted as (

    select
        cast(instrument as varchar) as instrument,
        cast(partition_date as date) as partition_date,
        cast(snapshot_at as timestamp) as snapshot_at,
        cast(observed_at as timestamp) as observed_at,
        cast(oi_usd as double) as oi_usd,
        -- 10 USD contracts, OI reported in USD: BTC = USD / mark price
        cast(oi_usd / nullif(mark_price_usd, 0) as double) as oi_btc,
        cast(mark_price_usd as double) as mark_price_usd,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    select * from casted
    qualify row_number() over (partition by instrument, partition_date order by snapshot_at desc, payload_sha256) = 1

)

select * from deduplicated

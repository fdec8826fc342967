with

source as (

    select * from {{ source('raw', 'deribit__open_interest') }}

),

renamed as (

    select
        cast(instrument_name as string) as instrument,
        cast(partition_date as date) as partition_date,
        cast(ts as timestamp) as snapshot_at,
        -- the daily snapshot (taken just after the partition day's end) closes that day: it is assigned to the
        -- day's last hour, 23:00, so it never reaches into the following day
        cast(cast(partition_date as timestamp) + interval 23 hour as timestamp) as observed_at,
        cast(oi_usd as double) as oi_usd,
        -- 10 USD contracts, OI reported in USD: BTC = USD / mark price
        cast(oi_usd / nullif(mark_price, 0) as double) as oi_btc,
        cast(mark_price as double) as mark_price_usd,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a day snapshotted twice keeps its latest snapshot
    qualify row_number() over (partition by instrument_name, partition_date order by ts desc, payload_sha256) = 1

)

select * from renamed

with

source as (

    select * from {{ source('raw', 'hyperliquid__open_interest') }}

),

renamed as (

    select
        cast(coin as string) as coin,
        cast(partition_date as date) as partition_date,
        cast(ts as timestamp) as snapshot_at,
        -- the daily snapshot (taken just after the partition day's end) closes that day: it is assigned to the
        -- day's last hour, 23:00, so it never reaches into the following day
        cast(cast(partition_date as timestamp) + interval 23 hour as timestamp) as observed_at,
        cast(oi_btc as double) as oi_btc,
        -- OI in coins: USD at the mark price
        cast(oi_btc * mark_price as double) as oi_usd,
        cast(mark_price as double) as mark_price_usd,
        cast(oracle_price as double) as oracle_price_usd,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a day snapshotted twice keeps its latest snapshot
    qualify row_number() over (partition by coin, partition_date order by ts desc, payload_sha256) = 1

)

select * from renamed

with

source as (

    select * from {{ source('raw', 'coinglass__liquidation_heatmap') }}

),

renamed as (

    select
        cast(symbol as string) as symbol,
        cast(model as string) as heatmap_model,
        cast({{ adapter.quote('range') }} as string) as heatmap_range,
        -- the snapshot taken in the 6 h after day D ends describes D (partition_date, set at landing)
        cast(partition_date as date) as partition_date,
        cast(snapshot_ts as timestamp) as snapshot_ts,
        cast(price_usd as double) as price_usd,
        cast(liquidation_usd as double) as liquidation_usd,
        cast(last_price_usd as double) as last_price_usd,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a snapshot landed twice keeps one copy
    qualify row_number() over (partition by symbol, snapshot_ts, price_usd order by payload_sha256) = 1

)

select * from renamed

with

source as (

    select * from {{ source('raw', 'coinmetrics__asset_metrics') }}

),

renamed as (

    select
        -- the value stamped at the day's 00:00 UTC describes that UTC day (its end for levels, its sum for flows)
        cast({{ adapter.quote('time') }} as date) as date,
        cast(price_usd as double) as price_usd,
        cast(mvrv as double) as mvrv,
        cast(supply_btc as double) as supply_btc,
        cast(supply_exchanges_btc as double) as supply_exchanges_btc,
        cast(flow_in_exchanges_btc as double) as flow_in_exchanges_btc,
        cast(flow_out_exchanges_btc as double) as flow_out_exchanges_btc,
        cast(flow_in_exchanges_btc - flow_out_exchanges_btc as double) as net_flow_exchanges_btc,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a day landed twice keeps one copy
    qualify row_number() over (partition by cast({{ adapter.quote('time') }} as date) order by payload_sha256) = 1

)

select * from renamed

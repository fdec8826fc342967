with

source as (

    select * from {{ source('raw', 'sosovalue__flows') }}

),

renamed as (

    select
        -- the value stamped at the day's 00:00 UTC describes that UTC day (its end for levels, its sum for flows)
        cast({{ adapter.quote('date') }} as date) as date,
        cast(total_net_inflow_usd as double) as net_inflow_usd,
        cast(total_value_traded_usd as double) as value_traded_usd,
        cast(total_net_assets_usd as double) as net_assets_usd,
        cast(cum_net_inflow_usd as double) as cum_net_inflow_usd,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a day landed twice keeps one copy
    qualify row_number() over (partition by cast({{ adapter.quote('date') }} as date) order by payload_sha256) = 1

)

select * from renamed

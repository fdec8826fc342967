with

source as (

    select * from {{ source('raw', 'cryptoquant__estimated_leverage_ratio') }}

),

renamed as (

    select
        -- the value stamped at the day's 00:00 UTC describes that UTC day (its end for levels, its sum for flows)
        cast({{ adapter.quote('date') }} as date) as date,
        cast(estimated_leverage_ratio as double) as estimated_leverage_ratio,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a day landed twice keeps one copy
    qualify row_number() over (partition by cast({{ adapter.quote('date') }} as date) order by payload_sha256) = 1

)

select * from renamed

with

source as (

    select * from {{ source('raw', 'glassnode__mvrv') }}

),

renamed as (

    select
        -- the value stamped at the day's 00:00 UTC describes that UTC day (its end for levels, its sum for flows)
        cast({{ adapter.quote('t') }} as date) as date,
        cast(mvrv as double) as mvrv,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a day landed twice keeps one copy
    qualify row_number() over (partition by cast({{ adapter.quote('t') }} as date) order by payload_sha256) = 1

)

select * from renamed

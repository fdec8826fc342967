with

source as (

    select * from {{ source('raw', 'okx__funding') }}

),

renamed as (

    select
        cast(inst_id as string) as instrument,
        cast(funding_time as timestamp) as funding_time,
        cast(funding_rate as double) as funding_rate,
        -- OKX BTC-USDT-SWAP settles every 8 h
        cast(8 as integer) as funding_interval_hours,
        cast(realized_rate as double) as realized_rate,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a settlement landed twice keeps one copy
    qualify row_number() over (partition by inst_id, funding_time order by payload_sha256) = 1

)

select * from renamed

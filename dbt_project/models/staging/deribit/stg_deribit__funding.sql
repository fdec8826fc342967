with

source as (

    select * from {{ source('raw', 'deribit__funding') }}

),

renamed as (

    select
        cast(instrument_name as string) as instrument,
        -- interest_1h is the funding accrued over the hour ending at ts: known (settled) at ts
        cast(ts as timestamp) as funding_time,
        cast(interest_1h as double) as funding_rate,
        -- Deribit accrues continuously; interest_1h is the realised rate per 1 h
        cast(1 as integer) as funding_interval_hours,
        -- interest_8h is a ROLLING 8 h quote, kept for reference only (never summed or used as a rate)
        cast(interest_8h as double) as interest_8h_rolling,
        cast(index_price as double) as index_price_usd,
        cast(prev_index_price as double) as prev_index_price_usd,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- an hour landed twice keeps one copy
    qualify row_number() over (partition by instrument_name, ts order by payload_sha256) = 1

)

select * from renamed

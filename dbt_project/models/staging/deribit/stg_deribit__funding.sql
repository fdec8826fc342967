with

source as (

    select * from {{ source('raw', 'deribit__funding') }}

),

renamed as (

    select
        instrument_name as instrument,
        -- interest_1h is the funding accrued over the hour ending at ts: known (settled) at ts
        ts as funding_time,
        interest_1h as funding_rate,
        -- interest_8h is a ROLLING 8 h quote, kept for reference only (never summed or used as a rate)
        interest_8h as interest_8h_rolling,
        index_price as index_price_usd,
        prev_index_price as prev_index_price_usd,
        payload_sha256

    from source

),

casted as (

    select
        cast(instrument as varchar) as instrument,
        cast(funding_time as timestamp) as funding_time,
        cast(funding_rate as double) as funding_rate,
        -- Deribit accrues continuously; interest_1h is the realised rate per 1 h
        cast(1 as integer) as funding_interval_hours,
        cast(interest_8h_rolling as double) as interest_8h_rolling,
        cast(index_price_usd as double) as index_price_usd,
        cast(prev_index_price_usd as double) as prev_index_price_usd,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    select * from casted
    qualify row_number() over (partition by instrument, funding_time order by payload_sha256) = 1

)

select * from deduplicated

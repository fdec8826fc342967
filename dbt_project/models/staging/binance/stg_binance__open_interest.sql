with

source as (

    select * from {{ source('raw', 'binance__open_interest') }}

),

renamed as (

    select
        cast(symbol as string) as symbol,
        -- API rows hold at their bucket's right edge, archive rows at create_time itself
        cast(case when source = 'api' then ts + {{ period_to_interval('period') }} else ts end as timestamp)
            as observed_at,
        cast(sum_open_interest as double) as oi_btc,
        cast(sum_open_interest_value as double) as oi_usd,
        cast(source as string) as source,
        cast(period as string) as period,
        cast(ts as timestamp) as source_ts,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a row landed twice keeps one copy (where archive and API overlap, int_derivatives__venue_hourly picks)
    qualify row_number() over (partition by symbol, source, period, ts order by payload_sha256) = 1

)

select * from renamed

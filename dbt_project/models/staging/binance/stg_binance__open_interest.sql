with

source as (

    select * from {{ source('raw', 'binance__open_interest') }}

),

renamed as (

    select
        symbol,
        source,
        period,
        ts,
        -- API rows hold at their bucket's right edge, archive rows at create_time itself
        case when source = 'api' then ts + {{ period_to_interval('period') }} else ts end as observed_at,
        sum_open_interest as oi_btc,
        sum_open_interest_value as oi_usd,
        payload_sha256

    from source

),

casted as (

    select
        cast(symbol as varchar) as symbol,
        cast(observed_at as timestamp) as observed_at,
        cast(oi_btc as double) as oi_btc,
        cast(oi_usd as double) as oi_usd,
        cast(source as varchar) as source,
        cast(period as varchar) as period,
        cast(ts as timestamp) as source_ts,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    -- one row per observation instant; where archive and API overlap, the archive wins
    select * from casted
    qualify row_number() over (
        partition by symbol, observed_at
        order by case source when 'archive' then 0 else 1 end, source_ts
    ) = 1

)

select * from deduplicated

with

source as (

    select * from {{ source('raw', 'coinglass__funding_oi_weighted') }}

),

renamed as (

    select
        symbol,
        "interval" as bar_interval,
        cast("time" as date) as date,
        -- CoinGlass quotes funding in PERCENT per 8 h: 0.01 = 0.01 % = 0.0001
        close_pct / 100.0 as funding_8h,
        open_pct / 100.0 as funding_8h_open,
        high_pct / 100.0 as funding_8h_high,
        low_pct / 100.0 as funding_8h_low,
        payload_sha256

    from source

),

casted as (

    select
        cast(symbol as varchar) as symbol,
        cast(bar_interval as varchar) as bar_interval,
        cast(date as date) as date,
        cast(funding_8h as double) as funding_8h,
        cast(funding_8h_open as double) as funding_8h_open,
        cast(funding_8h_high as double) as funding_8h_high,
        cast(funding_8h_low as double) as funding_8h_low,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    select * from casted
    qualify row_number() over (partition by symbol, date order by payload_sha256) = 1

)

select * from deduplicated

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
        -- the bar's typical value (mean of open, high, low, close): a proxy of the day's average
        (open_pct + high_pct + low_pct + close_pct) / 400.0 as funding_8h_typical,
        payload_sha256

    from source

),

casted as (

    select
        cast(symbol as varchar) as symbol,
        cast(bar_interval as varchar) as bar_interval,
        cast(date as date) as date,
        cast(funding_8h as double) as funding_8h,
        cast(funding_8h_typical as double) as funding_8h_typical,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    select * from casted
    qualify row_number() over (partition by symbol, date order by payload_sha256) = 1

)

select * from deduplicated

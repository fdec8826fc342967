with

source as (

    select * from {{ source('raw', 'coinglass__funding_oi_weighted') }}

),

renamed as (

    select
        cast(symbol as string) as symbol,
        cast({{ adapter.quote('interval') }} as string) as bar_interval,
        cast({{ adapter.quote('time') }} as date) as date,
        -- CoinGlass quotes funding in PERCENT per 8 h: 0.01 = 0.01 % = 0.0001
        cast(close_pct / 100.0 as double) as funding_8h,
        cast(open_pct / 100.0 as double) as funding_8h_open,
        cast(high_pct / 100.0 as double) as funding_8h_high,
        cast(low_pct / 100.0 as double) as funding_8h_low,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a day landed twice keeps one copy
    qualify row_number() over (partition by symbol, cast({{ adapter.quote('time') }} as date) order by payload_sha256) = 1

)

select * from renamed

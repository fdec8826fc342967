with

source as (

    select * from {{ source('raw', 'farside__flows') }}

),

renamed as (

    select
        cast(date as date) as date,
        cast(ticker as string) as ticker,
        -- Farside writes US$ millions; everything downstream is in USD
        cast(flow_usd_m * 1e6 as double) as flow_usd,
        cast(total_usd_m * 1e6 as double) as day_total_usd,
        cast(tickers_sum_usd_m * 1e6 as double) as day_tickers_sum_usd,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a day landed twice keeps one copy
    qualify row_number() over (partition by date, ticker order by payload_sha256) = 1

)

select * from renamed

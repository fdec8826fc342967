{#- contracts -> BTC: 133741 Bitcoin (5 BTC / contract), 133742 Micro Bitcoin (0.1 BTC / contract) -#}
{%- set contract_size_btc -%}
coalesce(contract_size_btc, case contract_market_code when '133741' then 5.0 when '133742' then 0.1 end)
{%- endset -%}

with

source as (

    select * from {{ source('raw', 'cftc__cme_open_interest') }}

),

renamed as (

    select
        -- the Tuesday the positions are as of (when the report was out: int_derivatives__cme_daily)
        cast(report_date as date) as report_date,
        cast(contract_market_code as string) as contract_market_code,
        cast(market_name as string) as market_name,
        cast(open_interest_contracts as double) as open_interest_contracts,
        cast({{ contract_size_btc }} as double) as contract_size_btc,
        cast(open_interest_contracts * {{ contract_size_btc }} as double) as oi_btc,
        cast(lev_money_long_contracts * {{ contract_size_btc }} as double) as lev_money_long_btc,
        cast(lev_money_short_contracts * {{ contract_size_btc }} as double) as lev_money_short_btc,
        cast(payload_sha256 as string) as payload_sha256

    from source
    -- a report landed twice keeps one copy
    qualify row_number() over (partition by contract_market_code, cast(report_date as date) order by payload_sha256) = 1

)

select * from renamed

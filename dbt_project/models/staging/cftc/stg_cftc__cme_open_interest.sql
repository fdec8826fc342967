with

source as (

    select * from {{ source('raw', 'cftc__cme_open_interest') }}

),

renamed as (

    select
        cast(report_date as date) as report_date,
        contract_market_code,
        market_name,
        open_interest_contracts,
        -- 133741 Bitcoin (5 BTC / contract), 133742 Micro Bitcoin (0.1 BTC / contract)
        coalesce(contract_size_btc, case contract_market_code when '133741' then 5.0 when '133742' then 0.1 end)
            as contract_size_btc,
        lev_money_long_contracts,
        lev_money_short_contracts,
        payload_sha256

    from source

),

-- positions as of Tuesday are released on Friday 15:30 ET (~20:30 UTC), usable from that day's end; in a
-- week with a federal holiday (Monday to Friday) the release moves to the next Monday
released as (

    select
        renamed.*,
        cast(date_trunc('week', report_date) as date) as report_week_monday,
        exists (
            select 1 from {{ us_federal_holidays(2017, 2035) }} as holidays
            where holidays.day between cast(date_trunc('week', renamed.report_date) as date)
                and cast(date_trunc('week', renamed.report_date) as date) + 4
        ) as holiday_week

    from renamed

),

casted as (

    select
        cast(report_date as date) as report_date,
        -- day D may use a report only when available_from <= D
        cast(report_week_monday + case when holiday_week then 7 else 4 end as date) as available_from,
        cast(contract_market_code as varchar) as contract_market_code,
        cast(market_name as varchar) as market_name,
        cast(open_interest_contracts as double) as open_interest_contracts,
        cast(contract_size_btc as double) as contract_size_btc,
        cast(open_interest_contracts * contract_size_btc as double) as oi_btc,
        cast(lev_money_long_contracts * contract_size_btc as double) as lev_money_long_btc,
        cast(lev_money_short_contracts * contract_size_btc as double) as lev_money_short_btc,
        cast(payload_sha256 as varchar) as payload_sha256

    from released

),

deduplicated as (

    select * from casted
    qualify row_number() over (partition by contract_market_code, report_date order by payload_sha256) = 1

)

select * from deduplicated

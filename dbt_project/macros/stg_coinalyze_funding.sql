{#-
  stg_coinalyze_funding(source_table): the staging of Coinalyze's funding and predicted funding histories,
  which share one payload shape: per venue, the day's closing rate in percent per the venue's own funding
  interval, as a fraction per that interval and per 8 h.
-#}
{% macro stg_coinalyze_funding(source_table) -%}
with

source as (

    select * from {{ source('raw', source_table) }}

),

renamed as (

    select
        symbol,
        venue,
        "interval" as bar_interval,
        cast(t as date) as date,
        -- percent per the venue's own funding interval; the day's close is its last rate
        close_pct / 100.0 as funding_rate,
        case venue when 'dydx' then 1 else 8 end as funding_interval_hours,
        payload_sha256

    from source

),

casted as (

    select
        cast(symbol as varchar) as symbol,
        cast(venue as varchar) as venue,
        cast(bar_interval as varchar) as bar_interval,
        cast(date as date) as date,
        cast(funding_rate as double) as funding_rate,
        cast(funding_interval_hours as integer) as funding_interval_hours,
        cast(funding_rate * 8.0 / funding_interval_hours as double) as funding_8h,
        cast(payload_sha256 as varchar) as payload_sha256

    from renamed

),

deduplicated as (

    select * from casted
    qualify row_number() over (partition by venue, date order by payload_sha256) = 1

)

select * from deduplicated
{%- endmacro %}

{#-
  stg_daily_series(source_table, time_column, values): the staging of a provider's daily series (one row per
  UTC day, stamped at the day's 00:00 UTC: Glassnode, CryptoQuant, CoinMetrics, DefiLlama): the day as a DATE
  and each value cast to DOUBLE under its staged name. `values` maps the staged column to a SQL expression over
  the raw columns. The raw table holds one row per day (a re-landed partition replaces the day); the
  deduplication only guards against a day landed twice.
-#}
{% macro stg_daily_series(source_table, time_column, values) -%}
with

source as (

    select * from {{ source('raw', source_table) }}

),

renamed as (

    select
        -- the value stamped at the day's 00:00 UTC describes that UTC day (its end for levels, its sum for flows)
        cast("{{ time_column }}" as date) as date,
        {%- for name, expression in values.items() %}
        cast({{ expression }} as double) as {{ name }},
        {%- endfor %}
        cast(payload_sha256 as varchar) as payload_sha256

    from source

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by date order by payload_sha256) = 1

)

select * from deduplicated
{%- endmacro %}

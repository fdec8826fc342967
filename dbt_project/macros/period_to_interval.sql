{#- period_to_interval(column): Binance period strings ('5m', '1h', '1d') to a DuckDB INTERVAL. -#}
{% macro period_to_interval(column) -%}
case
    when {{ column }} like '%m' then to_minutes(cast(rtrim({{ column }}, 'm') as integer))
    when {{ column }} like '%h' then to_hours(cast(rtrim({{ column }}, 'h') as integer))
    when {{ column }} like '%d' then to_days(cast(rtrim({{ column }}, 'd') as integer))
end
{%- endmacro %}

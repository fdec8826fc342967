{#- period_to_interval(column): Binance period strings ('5m', '1h', '1d') to an INTERVAL (the number is all but the
    last character: Spark's rtrim takes its two arguments the other way round from DuckDB's). -#}
{% macro period_to_interval(column) -%}
{%- set amount = "cast(substr(" ~ column ~ ", 1, length(" ~ column ~ ") - 1) as integer)" -%}
case
    when {{ column }} like '%m' then {{ interval_of(amount, 'minute') }}
    when {{ column }} like '%h' then {{ interval_of(amount, 'hour') }}
    when {{ column }} like '%d' then {{ interval_of(amount, 'day') }}
end
{%- endmacro %}

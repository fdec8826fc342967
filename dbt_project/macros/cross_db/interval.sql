{#-
  interval_of(amount, unit): an interval of `amount` (an SQL expression) days / hours / minutes.
  Why: DuckDB builds one from an expression with to_days(n); Spark multiplies an interval literal by it.
-#}
{% macro interval_of(amount, unit) -%}
{{ adapter.dispatch('interval_of')(amount, unit) }}
{%- endmacro %}

{% macro default__interval_of(amount, unit) -%}
(interval 1 {{ unit }} * ({{ amount }}))
{%- endmacro %}

{% macro duckdb__interval_of(amount, unit) -%}
to_{{ unit }}s({{ amount }})
{%- endmacro %}

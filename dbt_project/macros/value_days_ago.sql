{#-
  value_days_ago(expr, days, partition_by=none, order_by='date'): expr as it was exactly `days` calendar days
  before the row's day (a window over a RANGE of days: a missing day gives null, never the row before it).
  The one spelling of "the value N days ago" for 1- and 7-day changes.
-#}
{% macro value_days_ago(expr, days, partition_by=none, order_by='date') -%}
max({{ expr }}) over (
    {%- if partition_by %}partition by {{ partition_by }} {% endif -%}
    order by {{ order_by }} range between interval {{ days }} day preceding and interval {{ days }} day preceding)
{%- endmacro %}

{#-
  window_filter(column, lookback_days=0)
  Boolean SQL predicate restricting `column` (DATE or TIMESTAMP, UTC) to the run window passed by the
  orchestrator as vars start_date / end_date (YYYY-MM-DD, both inclusive days):
    column >= start_date - lookback_days   (no lower bound when start_date is absent or lookback_days is none)
    column <  end_date + 1 day             (no upper bound when end_date is absent)
  Use lookback_days > 0 on inputs so trailing windows see enough history; use 0 on outputs. The upper bound
  is applied to inputs too: nothing after end_date is ever read (no window may look forward).
-#}
{% macro window_filter(column, lookback_days=0) -%}
{%- set start_date = var('start_date', none) -%}
{%- set end_date = var('end_date', none) -%}
(true
{%- if start_date and lookback_days is not none %}
    and {{ column }} >= cast('{{ start_date }}' as date) - to_days({{ lookback_days | int }})
{%- endif %}
{%- if end_date %}
    and {{ column }} < cast('{{ end_date }}' as date) + to_days(1)
{%- endif %})
{%- endmacro %}

{#-
  window_filter(column, lookback_days=0)
  Boolean SQL predicate restricting `column` (DATE or TIMESTAMP, UTC) to the run window [start, end] (both
  inclusive days):
    column >= start - lookback_days   (no lower bound when start is absent or lookback_days is none)
    column <  end + 1 day             (no upper bound when end is absent)
  Use lookback_days > 0 on inputs so trailing windows see enough history; use 0 on outputs. The upper bound
  is applied to inputs too: nothing after end is ever read (no window may look forward).

  Where the window comes from: vars start_date / end_date when a caller sets them (the unit tests set them to
  null: no bounds), written into the SQL; else the one-row table meta.run_window that the orchestrator writes
  before each `dbt build` (orchestration/assets/dbt.py), read by the query itself. Reading the window as data,
  not as --vars, keeps dbt's partial parsing between runs (a --vars that changes every run forces a full
  re-parse, ~5 s); reading it in the query, not with run_query at compile time, spares the ~75 queries a
  build made to fetch the same two dates again (~1 s). A dbt run by hand has an empty meta.run_window
  (on-run-start creates it): no bounds, a full build.
-#}
{% macro window_filter(column, lookback_days=0) -%}
{#- each bound as SQL: the orchestrator's row (null: no bound), or the var written in (none: no bound) -#}
{%- set start_date, end_date = var('start_date', 'from_run_window'), var('end_date', 'from_run_window') -%}
{%- if start_date == 'from_run_window' and end_date == 'from_run_window' -%}
  {%- set lower, upper = '(select start_date from meta.run_window)', '(select end_date from meta.run_window)' -%}
{%- else -%}
  {%- set lower = "cast('" ~ start_date ~ "' as date)" if start_date else none -%}
  {%- set upper = "cast('" ~ end_date ~ "' as date)" if end_date else none -%}
{%- endif -%}
(true
{%- if lower and lookback_days is not none %}
    and ({{ column }} >= {{ lower }} - {{ interval_of(lookback_days | int, 'day') }} or {{ lower }} is null)
{%- endif %}
{%- if upper %}
    and ({{ column }} < {{ upper }} + {{ interval_of(1, 'day') }} or {{ upper }} is null)
{%- endif %})
{%- endmacro %}

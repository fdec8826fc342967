{#-
  window_filter(column, lookback_days=0)
  Boolean SQL predicate restricting `column` (DATE or TIMESTAMP, UTC) to the run window [start, end] (both
  inclusive days):
    column >= start - lookback_days   (no lower bound when start is absent or lookback_days is none)
    column <  end + 1 day             (no upper bound when end is absent)
  Use lookback_days > 0 on inputs so trailing windows see enough history; use 0 on outputs. The upper bound
  is applied to inputs too: nothing after end is ever read (no window may look forward).

  Where the window comes from (run_window_bounds): vars start_date / end_date when a caller sets them (the
  unit tests set them to null: no bounds), else the one-row table meta.run_window that the orchestrator
  writes before each `dbt build` (see orchestration/assets/dbt.py). Reading the window as data at run time,
  not as --vars, keeps dbt's partial parsing between runs: a --vars that changes every run forces a full
  re-parse (~7 s). Without that table (dbt run by hand) there are no bounds: a full build.
-#}
{% macro window_filter(column, lookback_days=0) -%}
{%- set bounds = run_window_bounds() -%}
{%- set start_date, end_date = bounds[0], bounds[1] -%}
(true
{%- if start_date and lookback_days is not none %}
    and {{ column }} >= cast('{{ start_date }}' as date) - to_days({{ lookback_days | int }})
{%- endif %}
{%- if end_date %}
    and {{ column }} < cast('{{ end_date }}' as date) + to_days(1)
{%- endif %})
{%- endmacro %}


{% macro run_window_bounds() -%}
{%- set from_vars = var('start_date', 'from_run_window'), var('end_date', 'from_run_window') -%}
{%- if from_vars[0] != 'from_run_window' or from_vars[1] != 'from_run_window' -%}
  {{ return(from_vars) }}
{%- endif -%}
{%- if not execute -%}
  {{ return((none, none)) }}
{%- endif -%}
{%- set found = run_query("select count(*) from information_schema.tables where table_schema = 'meta' and table_name = 'run_window'") -%}
{%- if found.columns[0].values()[0] == 0 -%}
  {{ return((none, none)) }}
{%- endif -%}
{%- set row = run_query("select cast(start_date as varchar), cast(end_date as varchar) from meta.run_window").rows[0] -%}
{{ return((row[0], row[1])) }}
{%- endmacro %}

{#-
  series(first, last, step=none): one row per value from first to last inclusive (a select-list expression).
  Why: DuckDB unnests generate_series; Spark explodes sequence.
-#}
{% macro series(first, last, step=none) -%}
{{ adapter.dispatch('series')(first, last, step) }}
{%- endmacro %}

{% macro default__series(first, last, step=none) -%}
unnest(generate_series({{ first }}, {{ last }}{% if step %}, {{ step }}{% endif %}))
{%- endmacro %}

{% macro spark__series(first, last, step=none) -%}
explode(sequence({{ first }}, {{ last }}{% if step %}, {{ step }}{% endif %}))
{%- endmacro %}

{#-
  iso_dow(day): ISO day of the week, 1 = Monday .. 7 = Sunday.
  Why: DuckDB's isodow(); Spark extracts dayofweek_iso (its dayofweek() counts from Sunday = 1).
-#}
{% macro iso_dow(day) -%}
{{ adapter.dispatch('iso_dow')(day) }}
{%- endmacro %}

{% macro default__iso_dow(day) -%}
isodow({{ day }})
{%- endmacro %}

{% macro spark__iso_dow(day) -%}
extract(dayofweek_iso from {{ day }})
{%- endmacro %}

{#-
  int_div(a, b): integer division, rounding down (for the calendar arithmetic of the holiday macros).
  Why: DuckDB's operator is //, Spark's is div.
-#}
{% macro int_div(a, b) -%}
{{ adapter.dispatch('int_div')(a, b) }}
{%- endmacro %}

{% macro default__int_div(a, b) -%}
(({{ a }}) // ({{ b }}))
{%- endmacro %}

{% macro spark__int_div(a, b) -%}
(({{ a }}) div ({{ b }}))
{%- endmacro %}

{#-
  utc_today(): the current UTC date.
  Why: DuckDB's now() is a TIMESTAMPTZ shown in the session's zone (converted with timezone('UTC', ...));
  Spark's session time zone is UTC (orchestration/spark), so current_date() is already the UTC day.
-#}
{% macro utc_today() -%}
{{ adapter.dispatch('utc_today')() }}
{%- endmacro %}

{% macro default__utc_today() -%}
cast(timezone('UTC', now()) as date)
{%- endmacro %}

{% macro spark__utc_today() -%}
current_date()
{%- endmacro %}

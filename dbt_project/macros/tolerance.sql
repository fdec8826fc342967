{#-
  within_tolerance(a, b, abs_tol, rel_tol): true when a and b differ by at most abs_tol + rel_tol * |b|.
  agreement_status(a, b, abs_tol, rel_tol): the cross-check status of two sources' figures for one day:
    'missing' (neither), 'single_source' (one), 'agreed' (within tolerance) or 'diverged'.
  One definition of "close", shared by the cross-check models and the generic test expect_columns_close.
-#}
{% macro within_tolerance(a, b, abs_tol, rel_tol) -%}
(abs(({{ a }}) - ({{ b }})) <= {{ abs_tol }} + {{ rel_tol }} * abs({{ b }}))
{%- endmacro %}

{% macro agreement_status(a, b, abs_tol, rel_tol) -%}
case
    when ({{ a }}) is null and ({{ b }}) is null then 'missing'
    when ({{ a }}) is null or ({{ b }}) is null then 'single_source'
    when {{ within_tolerance(a, b, abs_tol, rel_tol) }} then 'agreed'
    else 'diverged'
end
{%- endmacro %}

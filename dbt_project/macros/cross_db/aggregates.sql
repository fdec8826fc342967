{#-
  ordered_agg(fn, expr, order_by, filter=none): sum / avg of a float column in a fixed order, e.g. per venue.
  Why: DuckDB sums in the order given (`sum(x order by venue)`), so a full and a windowed build agree to the
  last bit; Spark has no ordered aggregates: it folds the values sorted by the key over an array instead.
-#}
{% macro ordered_agg(fn, expr, order_by, filter=none) -%}
{{ adapter.dispatch('ordered_agg')(fn, expr, order_by, filter) }}
{%- endmacro %}

{% macro default__ordered_agg(fn, expr, order_by, filter=none) -%}
{{ fn }}({{ expr }} order by {{ order_by }}){% if filter %} filter (where {{ filter }}){% endif %}
{%- endmacro %}

{% macro spark__ordered_agg(fn, expr, order_by, filter=none) -%}
{%- set pairs -%}
array_sort(collect_list(case when ({{ expr }}) is not null then named_struct('k', struct({{ order_by }}), 'v', cast({{ expr }} as double)) end){% if filter %} filter (where {{ filter }}){% endif %})
{%- endset -%}
{%- set summed = "aggregate(" ~ pairs ~ ", cast(null as double), (acc, p) -> coalesce(acc, 0D) + p.v)" -%}
{%- if fn == 'sum' -%} {{ summed }}
{%- elif fn == 'avg' -%} ({{ summed }} / nullif(size({{ pairs }}), 0))
{%- else -%} {{ exceptions.raise_compiler_error("ordered_agg: sum or avg, not " ~ fn) }}
{%- endif -%}
{%- endmacro %}

{#-
  sorted_list(expr, filter=none, distinct=false): the group's values as a sorted list, null when there are none.
  Why: DuckDB's list(x order by x); Spark collects then sorts, and its empty collection is [] (made null here).
-#}
{% macro sorted_list(expr, filter=none, distinct=false) -%}
{{ adapter.dispatch('sorted_list')(expr, filter, distinct) }}
{%- endmacro %}

{% macro default__sorted_list(expr, filter=none, distinct=false) -%}
list({% if distinct %}distinct {% endif %}{{ expr }} order by {{ expr }}){% if filter %} filter (where {{ filter }}){% endif %}
{%- endmacro %}

{% macro spark__sorted_list(expr, filter=none, distinct=false) -%}
{%- set collected -%}
{{ 'collect_set' if distinct else 'collect_list' }}({{ expr }}){% if filter %} filter (where {{ filter }}){% endif %}
{%- endset -%}
case when size({{ collected }}) > 0 then array_sort({{ collected }}) end
{%- endmacro %}

{#-
  list_to_string(list, sep): a list's elements joined by sep (null list: null).
  Why: DuckDB calls it array_to_string, Spark array_join.
-#}
{% macro list_to_string(list, sep) -%}
{{ adapter.dispatch('list_to_string')(list, sep) }}
{%- endmacro %}

{% macro default__list_to_string(list, sep) -%}
array_to_string({{ list }}, {{ sep }})
{%- endmacro %}

{% macro spark__list_to_string(list, sep) -%}
array_join({{ list }}, {{ sep }})
{%- endmacro %}

{#-
  percentile_disc_over(expr, fraction, window): the discrete percentile (inverted CDF: the value at position
  ceil(fraction x n) of the n sorted non-null values) over a named window, e.g. a trailing RANGE of days.
  Why: DuckDB evaluates quantile_disc over a window frame (a merge-sort tree); Spark allows no frame on its
  percentiles, so it sorts the frame's values collected into an array and picks that position.
-#}
{% macro percentile_disc_over(expr, fraction, window) -%}
{{ adapter.dispatch('percentile_disc_over')(expr, fraction, window) }}
{%- endmacro %}

{% macro default__percentile_disc_over(expr, fraction, window) -%}
quantile_disc({{ expr }}, {{ fraction }}) over {{ window }}
{%- endmacro %}

{% macro spark__percentile_disc_over(expr, fraction, window) -%}
{%- set values = 'array_sort(collect_list(' ~ expr ~ ') over ' ~ window ~ ')' -%}
case when size({{ values }}) > 0
    then element_at({{ values }}, cast(greatest(ceil({{ fraction }} * size({{ values }})), 1) as int)) end
{%- endmacro %}

{#-
  arg_max_of(arg, val) / arg_min_of(arg, val): arg at the row with the largest / smallest val.
  Why: DuckDB's arg_max / arg_min skip rows whose arg is null; Spark's max_by / min_by do not (they would
  return that null), so on Spark those rows' val is nulled first.
-#}
{% macro arg_max_of(arg, val) -%}
{{ adapter.dispatch('arg_extreme')('max', arg, val) }}
{%- endmacro %}

{% macro arg_min_of(arg, val) -%}
{{ adapter.dispatch('arg_extreme')('min', arg, val) }}
{%- endmacro %}

{% macro default__arg_extreme(which, arg, val) -%}
arg_{{ which }}({{ arg }}, {{ val }})
{%- endmacro %}

{% macro spark__arg_extreme(which, arg, val) -%}
{{ which }}_by({{ arg }}, case when ({{ arg }}) is not null then {{ val }} end)
{%- endmacro %}

{#-
  first_non_null(expr) / last_non_null(expr): the first / last non-null value of expr in the window frame
  (put `over ...` after it).
  Why: DuckDB writes IGNORE NULLS inside the call; Spark takes it as the function's second argument.
-#}
{% macro first_non_null(expr) -%}
{{ adapter.dispatch('value_ignoring_nulls')('first', expr) }}
{%- endmacro %}

{% macro last_non_null(expr) -%}
{{ adapter.dispatch('value_ignoring_nulls')('last', expr) }}
{%- endmacro %}

{% macro default__value_ignoring_nulls(which, expr) -%}
{{ which }}_value({{ expr }} ignore nulls)
{%- endmacro %}

{% macro spark__value_ignoring_nulls(which, expr) -%}
{{ which }}_value({{ expr }}, true)
{%- endmacro %}

{#-
  median_over(expr, window): the median (the mean of the two middle values when their number is even) over a
  window, e.g. `prior_days` or `(order by date range between ...)`.
  Why: DuckDB evaluates median over a window frame; Spark allows no frame on median, so it sorts the
  frame's values collected into an array and takes the middle.
-#}
{% macro median_over(expr, window) -%}
{{ adapter.dispatch('median_over')(expr, window) }}
{%- endmacro %}

{% macro default__median_over(expr, window) -%}
median({{ expr }}) over {{ window }}
{%- endmacro %}

{% macro spark__median_over(expr, window) -%}
{%- set values = 'array_sort(collect_list(' ~ expr ~ ') over ' ~ window ~ ')' -%}
case when size({{ values }}) > 0
    then (element_at({{ values }}, cast(floor((size({{ values }}) + 1) / 2) as int))
          + element_at({{ values }}, cast(ceil((size({{ values }}) + 1) / 2) as int))) / 2 end
{%- endmacro %}

{#- Tolerance test: rows where column_name and expression differ by more than
    abs_tol + rel_tol * |expression| (rows where either side is null pass), macro within_tolerance.
    max_failing_share > 0 tolerates that share of the compared rows failing (two independent sources
    disagree on some days; more than that means one of them is broken): the failing rows are returned only
    when their share exceeds it, and (min_compared > 0) only once at least min_compared rows are compared: a
    share of three days is no evidence that a source is broken. -#}
{% test expect_columns_close(model, column_name, expression, rel_tol=0.0, abs_tol=1e-12, max_failing_share=0,
                             where_clause=none, min_compared=0) %}
with compared as (
    select *, not {{ within_tolerance(column_name, expression, abs_tol, rel_tol) }} as is_failing
    from {{ model }}
    where {{ column_name }} is not null
      and ({{ expression }}) is not null
      {%- if where_clause %} and ({{ where_clause }}){% endif %}
),
share as (
    select coalesce(avg(is_failing::int), 0) as failing_share, count(*) as compared_rows from compared
)
select compared.*
from compared, share
where is_failing and share.failing_share > {{ max_failing_share }} and share.compared_rows >= {{ min_compared }}
{% endtest %}

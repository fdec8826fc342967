{#- Tolerance test: rows where column_name and expression differ by more than
    abs_tol + rel_tol * |expression| (rows where either side is null pass). -#}
{% test expect_columns_close(model, column_name, expression, rel_tol=0.0, abs_tol=1e-12) %}
select *
from {{ model }}
where {{ column_name }} is not null
  and ({{ expression }}) is not null
  and abs({{ column_name }} - ({{ expression }})) > {{ abs_tol }} + {{ rel_tol }} * abs({{ expression }})
{% endtest %}

{#- Rows where column_name is outside [min_value, max_value] (nulls pass; combine with not_null). -#}
{% test expect_between(model, column_name, min_value=none, max_value=none, where_clause=none) %}
select *
from {{ model }}
where {{ column_name }} is not null
  and (false
  {%- if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
  {%- if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %})
  {%- if where_clause %} and ({{ where_clause }}){% endif %}
{% endtest %}

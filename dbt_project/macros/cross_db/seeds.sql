{#-
  Seeds on Spark: the rows as escaped literals.
  Why: dbt-spark's session cursor pastes each string binding between quotes without escaping, so a value
  holding a quote (Binance's) breaks the insert; DuckDB's loader binds them properly and is not touched.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
    {%- set sql -%}
      insert into {{ this.render() }} values
      {% for row in chunk -%}
        ({%- for col_name in agate_table.column_names -%}
          {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
          {%- set value = row[loop.index0] -%}
          cast({{ 'null' if value is none else "'" ~ (value | string).replace('\\', '\\\\').replace("'", "\\'") ~ "'" }} as {{ type }})
          {%- if not loop.last %}, {% endif -%}
        {%- endfor -%}){%- if not loop.last %},{% endif %}
      {% endfor %}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {%- if loop.index0 == 0 %}{% do statements.append(sql) %}{% endif -%}
  {%- endfor -%}
  {{ return(statements[0]) }}
{% endmacro %}

{#-
  incremental_materialization(): how the models that DuckDB builds incrementally over the run window are built.
  Why: their strategy, delete+insert on a unique key, needs a table format that deletes rows; dbt-spark on
  Parquet has only append and insert_overwrite (of partitions these tables do not have). On Spark they are
  tables rebuilt in full from all history (orchestration/spark leaves the run window empty). With Delta or
  Iceberg on a cluster, 'incremental' with the merge strategy on the same unique_key is the change to make here.
-#}
{% macro incremental_materialization() -%}
{{ return(adapter.dispatch('incremental_materialization')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
{{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
{{ return('table') }}
{%- endmacro %}

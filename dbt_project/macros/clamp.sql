{#- clamp(expr, lo, hi): expr limited to [lo, hi]; null stays null. -#}
{% macro clamp(expr, lo=0, hi=1) -%}
least(greatest({{ expr }}, {{ lo }}), {{ hi }})
{%- endmacro %}

{#- The median of a numeric expression, as an aggregate (docs/rules.md §10 median KPIs).
    An ordered-set `percentile_cont(0.5) within group (order by x)` is the SQL standard but not
    every engine has it (Spark, DuckDB spell it otherwise), so the spelling is dispatched:
      duckdb__   median(x)                       (exact, interpolated: median of 4 and 10 = 7)
      spark__    percentile(x, 0.5)              (exact; percentile_approx would be approximate)
      snowflake__ median(x)
      default__  percentile_cont(0.5) within group (order by x)   (Postgres, Redshift, Trino…)
    Use it as a plain aggregate with GROUP BY (not as a window function). -#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median')(expr)) }}
{%- endmacro %}

{% macro default__median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{% macro snowflake__median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{% macro spark__median(expr) -%}
    percentile({{ expr }}, 0.5)
{%- endmacro %}

{% macro databricks__median(expr) -%}
    percentile({{ expr }}, 0.5)
{%- endmacro %}

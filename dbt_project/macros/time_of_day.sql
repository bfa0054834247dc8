{#- A comparable time of day of an 'HH:MM' or 'HH:MM:SS' text (the policy's contact window),
    null when the text is not a time. Only compare it with another time_of_day(...).
      default__  try-cast to TIME (DuckDB, Postgres, Snowflake, Trino)
      spark__    Spark has no TIME type: the time on 1970-01-01 as a TIMESTAMP (a bad text
                 casts to null with ANSI mode off, which dbt-spark sets) -#}
{% macro time_of_day(expr) -%}
    {{ return(adapter.dispatch('time_of_day')(expr)) }}
{%- endmacro %}

{% macro default__time_of_day(expr) -%}
    {{ dbt.safe_cast(expr, 'time') }}
{%- endmacro %}

{% macro spark__time_of_day(expr) -%}
    cast(concat('1970-01-01 ', trim({{ expr }})) as timestamp)
{%- endmacro %}

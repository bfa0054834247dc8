{#- Regular expressions, the same on every engine. Patterns are written without backslashes
    (Spark SQL string literals treat `\` as an escape): classes such as [0-9], [.], [+]. -#}

{#- Replace every match of `pattern` in `expr` (DuckDB and Postgres replace only the first
    match unless told 'g'; Spark and Snowflake replace all). -#}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{% macro duckdb__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro postgres__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- True when `pattern` matches somewhere in `expr` (anchor it with ^ and $ for a whole
    match); null when expr is null. -#}
{% macro regexp_test(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_test')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_test(expr, pattern) -%}
    regexp_like({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regexp_test(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regexp_test(expr, pattern) -%}
    ({{ expr }} ~ '{{ pattern }}')
{%- endmacro %}

{#- A timestamp (UTC, without zone) from nanoseconds since the epoch (the file ledger's
    mtime_ns: a landing file's arrival). -#}
{% macro epoch_ns_to_timestamp(expr) -%}
    {{ return(adapter.dispatch('epoch_ns_to_timestamp')(expr)) }}
{%- endmacro %}

{% macro default__epoch_ns_to_timestamp(expr) -%}
    {{ dbt.dateadd('second', 'cast(floor(' ~ expr ~ ' / 1000000000.0) as bigint)', "cast('1970-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{% macro duckdb__epoch_ns_to_timestamp(expr) -%}
    make_timestamp(cast(floor({{ expr }} / 1000.0) as bigint))
{%- endmacro %}

{% macro spark__epoch_ns_to_timestamp(expr) -%}
    timestamp_micros(cast(floor({{ expr }} / 1000.0) as bigint))
{%- endmacro %}

{#- Dialect-specific helpers of the cadence models (DOMAIN.md §3–4), behind adapter.dispatch:
    duckdb__ is what runs here, default__ is the usual spelling on Snowflake/Redshift-like
    engines; add <adapter>__ versions when the project moves. -#}

{#- Lower-case hex SHA-256 of a string (SendGrid events carry sha256(lower(trim(email)))). -#}
{% macro sha256_hex(expr) -%}
    {{ return(adapter.dispatch('sha256_hex')(expr)) }}
{%- endmacro %}

{#- default__ also serves Spark/Databricks (sha2 returns lower-case hex there). -#}
{% macro default__sha256_hex(expr) -%}
    lower(sha2({{ expr }}, 256))
{%- endmacro %}

{% macro duckdb__sha256_hex(expr) -%}
    sha256({{ expr }})
{%- endmacro %}

{% macro postgres__sha256_hex(expr) -%}
    encode(sha256(convert_to({{ expr }}, 'UTF8')), 'hex')
{%- endmacro %}


{#- The local calendar date, in IANA zone `tz`, of a UTC timestamp (TIMESTAMP without zone). -#}
{% macro utc_to_local_date(ts, tz) -%}
    {{ return(adapter.dispatch('utc_to_local_date')(ts, tz)) }}
{%- endmacro %}

{% macro default__utc_to_local_date(ts, tz) -%}
    cast(convert_timezone('UTC', {{ tz }}, {{ ts }}) as date)
{%- endmacro %}

{% macro duckdb__utc_to_local_date(ts, tz) -%}
    cast(timezone({{ tz }}, timezone('UTC', {{ ts }})) as date)
{%- endmacro %}


{#- The UTC instant (TIMESTAMP without zone) of a wall-clock timestamp read in IANA zone `tz`. -#}
{% macro local_to_utc(ts, tz) -%}
    {{ return(adapter.dispatch('local_to_utc')(ts, tz)) }}
{%- endmacro %}

{% macro default__local_to_utc(ts, tz) -%}
    convert_timezone({{ tz }}, 'UTC', {{ ts }})
{%- endmacro %}

{% macro duckdb__local_to_utc(ts, tz) -%}
    timezone('UTC', timezone({{ tz }}, {{ ts }}))
{%- endmacro %}


{#- True when a phone is textable/callable: E.164 (+ and 8–15 digits) or a US 10-digit number
    (NANP area code 2–9xx), optionally with a leading 1 / +1 and ( ) . - or space separators. -#}
{% macro is_valid_phone(expr) -%}
    {{ return(adapter.dispatch('is_valid_phone')(expr)) }}
{%- endmacro %}

{#- No backslash in the pattern: Spark SQL string literals treat `\` as an escape (`'\+'` is
    `+`), so literal + ( ) are written as the classes [+] [(] [)], the same regex everywhere. -#}
{%- macro _phone_pattern() -%}
    ^([+][1-9][0-9]{7,14}|([+]?1[ .-]?)?([(][2-9][0-9]{2}[)]|[2-9][0-9]{2})[ .-]?[0-9]{3}[ .-]?[0-9]{4})$
{%- endmacro -%}

{% macro default__is_valid_phone(expr) -%}
    coalesce(regexp_like(trim({{ expr }}), '{{ _phone_pattern() }}'), false)
{%- endmacro %}

{% macro duckdb__is_valid_phone(expr) -%}
    coalesce(regexp_matches(trim({{ expr }}), '{{ _phone_pattern() }}'), false)
{%- endmacro %}

{% macro postgres__is_valid_phone(expr) -%}
    coalesce(trim({{ expr }}) ~ '{{ _phone_pattern() }}', false)
{%- endmacro %}

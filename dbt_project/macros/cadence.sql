{#- Dialect-specific helpers of the cadence models (docs/rules.md §3–4), behind adapter.dispatch:
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


{#- The balance-ledger days (int_balance_ledger, alias l) on which a guarantor's collection
    episode starts: the running balance goes from ≤ 0 to > 0 (docs/rules.md §1, docs/rules.md
    "Episodes"). The episode open on a date is the one of the last such day on or before it. -#}
{% macro starts_episode(l) -%}
    ({{ l }}.guarantor_balance_after > 0 and {{ l }}.guarantor_balance_after - {{ l }}.guarantor_day_net <= 0)
{%- endmacro %}

{#- The first statement of an episode (docs/rules.md §3): the day statement 1 was sent, else — before
    the pipeline has sent one (a first run on a clinic's history) — the episode's start +
    segments_first_statement_fallback_days. -#}
{% macro first_statement_date(sent_date, episode_start, fallback_days) -%}
    coalesce({{ sent_date }}, cast({{ dbt.dateadd('day', fallback_days, episode_start) }} as date))
{%- endmacro %}

{#- True for the balance-ledger row (alias l) that holds the running balance of its guarantor
    (level 'guarantor') or encounter (level 'encounter') at the end of date `on_date`:
    effective_date ≤ on_date < next event date (docs/rules.md "Balance ledger"). -#}
{% macro balance_on(l, level, on_date) -%}
    ({{ l }}.effective_date <= {{ on_date }}
     and ({{ l }}.{{ level }}_next_date is null or {{ l }}.{{ level }}_next_date > {{ on_date }}))
{%- endmacro %}

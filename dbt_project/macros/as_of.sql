{#- The as-of date of the build, as a DATE expression.
    The daily job writes it to raw.run_context before dbt runs (a `--vars` change would make
    dbt re-parse the whole project every day); models read it through stg_run_context. For a
    manual build of another date: dbt build --vars '{as_of_date: 2026-11-20}'. -#}
{% macro as_of_date() -%}
    {%- set d = var('as_of_date', '') -%}
    {%- if d -%}cast('{{ d }}' as date)
    {%- else -%}(select max(as_of_date) from {{ ref('stg_run_context') }})
    {%- endif -%}
{%- endmacro %}

{#- The instant the run started (UTC, TIMESTAMP without zone): the clock of the freshness
    guardrail and of the contact window (docs/rules.md, "Freshness" and "Contact window").
    Written with the as-of date to raw.run_context; a backfill run writes its nominal time.
    For a manual build: --vars '{as_of_date: 2026-11-20, run_started_at: "2026-11-20 12:00:00"}'. -#}
{% macro run_started_at() -%}
    {%- set t = var('run_started_at', '') -%}
    {%- if t -%}cast('{{ t }}' as {{ dbt.type_timestamp() }})
    {%- else -%}(select max(run_started_at) from {{ ref('stg_run_context') }})
    {%- endif -%}
{%- endmacro %}

{#- Whole days from `start` to `end` (both dates). -#}
{% macro days_between(start, end) -%}
    {{ dbt.datediff(start, end, 'day') }}
{%- endmacro %}

{#- Money as the marts' DECIMAL(18,2). -#}
{% macro money(expr) -%}
    cast({{ expr }} as decimal(18, 2))
{%- endmacro %}

{#- The first day after the look-ahead window "the next N days" that starts on `start`:
    [start, start + N) holds exactly N days (docs/rules.md, "Queues"). -#}
{% macro window_end_exclusive(start, days) -%}
    cast({{ dbt.dateadd('day', days, start) }} as date)
{%- endmacro %}

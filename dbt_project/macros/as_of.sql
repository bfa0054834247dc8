{#- The as-of date of the build, as a DATE expression.
    The daily job writes it to raw.run_context before dbt runs (a `--vars` change would make
    dbt re-parse the whole project every day). For a manual build of another date:
    dbt build --vars '{as_of_date: 2026-11-20}'. -#}
{% macro as_of_date() -%}
    {%- set d = var('as_of_date', '') -%}
    {%- if d -%}cast('{{ d }}' as date)
    {%- else -%}(select max(as_of_date) from {{ source('raw', 'run_context') }})
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

{#- The run's as-of date as a DATE literal (var `as_of_date`, a Dagster daily partition). -#}
{% macro as_of_date() -%}
    {%- set d = var('as_of_date', '') -%}
    {%- if d -%}cast('{{ d }}' as date){%- else -%}cast({{ dbt.current_timestamp() }} as date){%- endif -%}
{%- endmacro %}

{#- Whole days from `start` to `end` (both dates). -#}
{% macro days_between(start, end) -%}
    {{ dbt.datediff(start, end, 'day') }}
{%- endmacro %}

{#- Money as the marts' DECIMAL(18,2). -#}
{% macro money(expr) -%}
    cast({{ expr }} as decimal(18, 2))
{%- endmacro %}

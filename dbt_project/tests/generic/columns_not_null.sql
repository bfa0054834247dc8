{#- Not-null check of several columns of one model in ONE query (one dbt node, one Dagster
    asset check), instead of one `not_null` test per column: dbt's cost is per node.

    Passes when no listed column has a null. On failure it returns one row per offending
    column: `column_name` (the column) and `null_rows` (how many rows are null in it), so
    `dbt show --select <test name>` (or the compiled SQL under target/compiled/) names the
    column. Portable SQL: one aggregate row, then one `union all` branch per column.

    models/<folder>/_<folder>__models.yml:
        - name: fct_touches
          data_tests:
            - columns_not_null:
                arguments:
                  column_names: [guarantor_id, step, status]

    A `where` config applies to the whole list (dbt filters `model` before this query), so
    columns with different `where` filters go in separate columns_not_null tests. -#}
{% test columns_not_null(model, column_names) %}
    {%- if column_names is string or column_names | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "columns_not_null on " ~ model ~ ": `column_names` must be a non-empty list of column names") }}
    {%- endif %}

with null_counts as (
    select
    {%- for column in column_names %}
        sum(case when {{ column }} is null then 1 else 0 end) as null_rows_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    from {{ model }}
)

{% for column in column_names -%}
select '{{ column }}' as column_name, null_rows_{{ loop.index }} as null_rows
from null_counts
where null_rows_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}
{% endtest %}

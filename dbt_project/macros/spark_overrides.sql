{#- Overrides of dbt's own cross-database macros where an adapter's version changes results.
    dbt_project.yml puts this project before `dbt` in the dispatch search order of the `dbt`
    namespace, so `dbt.listagg(...)` in a model resolves to `spark__listagg` below on Spark and
    to the adapter's own version everywhere else (DuckDB is unchanged).

    dbt-spark 1.11's spark__listagg drops the ORDER BY (it warns and concatenates
    collect_list in whatever order the shuffle gives), so lists like fct_touches.hold_rules or
    int_placement_checks.attempt_channels would differ from run to run. Spark 4 has the
    ordered-set aggregate listagg(x, sep) WITHIN GROUP (ORDER BY ...); like DuckDB it skips
    nulls and gives null for a group with no value. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("spark__listagg: limit_num is not supported here") }}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }})
    {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif -%}
{%- endmacro %}

{#- dbt-spark 1.11's seed loader passes values as bindings, and its session method pastes
    them into the SQL as '<value>' with no escaping: a seed text with an apostrophe
    ("New Year's Day") breaks the INSERT, and an empty cell loads as the text 'None'. Here the
    values are written as escaped literals (backslash escapes, as Spark SQL reads them) and an
    empty cell as null, whatever the connection method. -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- if value is none -%}cast(null as {{ types[loop.index0] }})
                    {%- else -%}cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ types[loop.index0] }})
                    {%- endif -%}
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}){%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{%- endmacro %}

{#- Register the raw layer exported as Parquet (python -m orchestration.raw.export_parquet
    --out DIR) as the tables the `raw` and `ops` sources resolve to, on an engine other than
    the embedded DuckDB:

        dbt run-operation register_raw_parquet --target spark --args '{path: /abs/DIR}'

    One external table per source table, over the folder DIR/<schema>/<table>; re-running it
    re-points the tables at the (new) files. The data stays in the Parquet files: dropping one
    of these tables deletes nothing. docs/scaling.md shows the same for Snowflake and Trino. -#}
{% macro register_raw_parquet(path) -%}
    {%- if not path -%}
        {{ exceptions.raise_compiler_error("register_raw_parquet needs the export folder: --args '{path: DIR}'") }}
    {%- endif -%}
    {%- set path = path | string | trim -%}
    {%- set path = path[:-1] if path.endswith('/') else path -%}
    {%- set ns = namespace(count=0, schemas=[]) -%}
    {%- for source in graph.sources.values() | sort(attribute='unique_id') if source.source_name in ('raw', 'ops') -%}
        {%- if source.schema not in ns.schemas -%}
            {%- do run_query(adapter.dispatch('raw_parquet_create_schema')(source.schema)) -%}
            {%- set ns.schemas = ns.schemas + [source.schema] -%}
        {%- endif -%}
        {%- for sql in adapter.dispatch('raw_parquet_table_sql')(source.schema, source.identifier, path ~ '/' ~ source.schema ~ '/' ~ source.identifier) -%}
            {%- do run_query(sql) -%}
        {%- endfor -%}
        {%- set ns.count = ns.count + 1 -%}
    {%- endfor -%}
    {{ log("registered " ~ ns.count ~ " raw/ops source tables over Parquet in " ~ path, info=true) }}
{%- endmacro %}

{% macro default__raw_parquet_create_schema(schema) -%}
    create schema if not exists {{ schema }}
{%- endmacro %}

{% macro default__raw_parquet_table_sql(schema, table, location) -%}
    {{ exceptions.raise_compiler_error(
        "register_raw_parquet: no recipe for adapter " ~ adapter.type() ~ " yet (docs/scaling.md)") }}
{%- endmacro %}

{% macro spark__raw_parquet_table_sql(schema, table, location) -%}
    {{ return([
        "drop table if exists " ~ schema ~ "." ~ table,
        "create table " ~ schema ~ "." ~ table ~ " using parquet location '" ~ location ~ "'",
    ]) }}
{%- endmacro %}

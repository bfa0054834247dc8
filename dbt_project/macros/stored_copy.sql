{#- A pre-hook for the reader of a model made ephemeral: drop the table an earlier version of the
    project stored under that model's name, so a warehouse built before the change keeps no stale
    copy of it (docs/dbt-tests.md, "Rules of a model that is not stored"). A no-op once it is
    gone; portable (dbt's adapter.get_relation / drop_relation). -#}
{% macro drop_stored_copy(model_name) -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model_name -%}
            {%- set stored = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
            {%- if stored is not none -%}
                {%- do adapter.drop_relation(stored) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

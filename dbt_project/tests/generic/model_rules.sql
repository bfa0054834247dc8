{#- Every rule test of one model in ONE query (one dbt node, one Dagster asset check): dbt pays
    a fixed cost per node (docs/benchmarks.md), so a model's not_null / unique / accepted_values /
    relationships rules are grouped here instead of one dbt test each (docs/dbt-tests.md maps
    each former test to its rule).

    Passes when no rule fails. On failure it returns one row per failing row (per duplicated
    value for `unique`): `rule_name` (the rule: the former test's name, e.g.
    `unique_stg_encounters_encounter_id`) and `failing_key` (the row's `key` column, else the
    tested value), so the daily job's summary (orchestration/run.py) and
    `dbt show --select model_rules_<model>` name every failing row.

    models/<folder>/_<folder>__models.yml:
        - name: stg_encounters
          data_tests:
            - name: model_rules_stg_encounters
              test_name: model_rules
              arguments:
                key: encounter_id
                rules:
                  - {name: unique_stg_encounters_encounter_id, unique: encounter_id}
                  - {name: not_null_stg_encounters_encounter_id, not_null: encounter_id}
                  - {name: accepted_values_x_status, accepted_values: {column: status, values: [a, b]}}
                  - {name: relationships_x_guarantor_id,
                     relationships: {column: guarantor_id, to: ref('stg_guarantors'), field: guarantor_id}}

    Rule kinds are the semantics of dbt's built-in tests of the same name (nulls pass
    accepted_values and relationships). Portable SQL: one `union all` branch per rule. -#}
{% test model_rules(model, rules, key=none) %}
{%- if rules is string or rules | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "model_rules on " ~ model ~ ": `rules` must be a non-empty list of {name, <kind>: ...}") }}
    {%- endif %}
{%- set text = dbt.type_string() %}

{% for rule in rules -%}
    {%- set kinds = [] %}
    {%- for k in ['not_null', 'unique', 'accepted_values', 'relationships'] %}
        {%- if k in rule %}{% do kinds.append(k) %}{% endif %}
    {%- endfor %}
    {%- if kinds | length != 1 or not rule.get('name') -%}
        {{ exceptions.raise_compiler_error(
            "model_rules on " ~ model ~ ": each rule needs a `name` and exactly one of "
            ~ "not_null, unique, accepted_values, relationships; got " ~ rule) }}
    {%- endif %}
    {%- set kind = kinds[0] %}
    {%- set arg = rule[kind] %}
    {%- set column = arg if arg is string else arg['column'] %}
    {%- set row_key = key if key else column %}
    {%- if kind == 'not_null' %}
select '{{ rule.name }}' as rule_name, cast({{ key if key else "null" }} as {{ text }}) as failing_key
from {{ model }}
where {{ column }} is null
    {%- elif kind == 'unique' %}
select '{{ rule.name }}' as rule_name, cast({{ column }} as {{ text }}) as failing_key
from {{ model }}
where {{ column }} is not null
group by {{ column }}
having count(*) > 1
    {%- elif kind == 'accepted_values' %}
select '{{ rule.name }}' as rule_name, cast({{ row_key }} as {{ text }}) as failing_key
from {{ model }}
where {{ column }} is not null
  and {{ column }} not in (
    {%- for v in arg['values'] -%}
        {%- if arg.get('quote', true) %}'{{ v }}'{% else %}{{ v }}{% endif %}{% if not loop.last %}, {% endif %}
    {%- endfor -%})
    {%- else %}
select '{{ rule.name }}' as rule_name, cast(child.{{ row_key }} as {{ text }}) as failing_key
from {{ model }} as child
left join (select distinct {{ arg['field'] }} as parent_key from {{ arg['to'] }}) as parent
    on child.{{ column }} = parent.parent_key
where child.{{ column }} is not null
  and parent.parent_key is null
    {%- endif %}
{% if not loop.last %}union all
{% endif %}
{%- endfor %}
{% endtest %}

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
                  - {name: assert_x_adds_up, fails_when: "paid + open <> billed"}
                  - {name: assert_x_one_per_household,
                     fails_when: {where: "status = 'due'", group_by: household_id, condition: "count(*) > 1"}}

    Rule kinds are the semantics of dbt's built-in tests of the same name (nulls pass
    accepted_values and relationships), and `fails_when`, a former singular test that reads
    this model alone (docs/dbt-tests.md): a row fails when the SQL condition on it is true
    (a null condition passes, as a singular test's `where` would); `failing_key` is the test's
    `key`, or the rule's own `key` expression. With `group_by`, the condition is on each group
    (`having`) of the rows that pass the optional `where`, and the failing key is the group.
    Portable SQL: one `union all` branch per rule. -#}
{% test model_rules(model, rules, key=none) %}
{%- if rules is string or rules | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "model_rules on " ~ model ~ ": `rules` must be a non-empty list of {name, <kind>: ...}") }}
    {%- endif %}
{%- set text = dbt.type_string() %}

{% for rule in rules -%}
    {%- set kinds = [] %}
    {%- for k in ['not_null', 'unique', 'accepted_values', 'relationships', 'fails_when'] %}
        {%- if k in rule %}{% do kinds.append(k) %}{% endif %}
    {%- endfor %}
    {%- if kinds | length != 1 or not rule.get('name') -%}
        {{ exceptions.raise_compiler_error(
            "model_rules on " ~ model ~ ": each rule needs a `name` and exactly one of "
            ~ "not_null, unique, accepted_values, relationships, fails_when; got " ~ rule) }}
    {%- endif %}
    {%- set kind = kinds[0] %}
    {%- set arg = rule[kind] %}
    {%- set column = arg if arg is string else arg.get('column') %}
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
    {%- elif kind == 'fails_when' %}
    {%- set when = {'condition': arg} if arg is string else arg %}
    {%- if when.get('group_by') %}
select '{{ rule.name }}' as rule_name, cast({{ when['group_by'] }} as {{ text }}) as failing_key
from {{ model }}
{%- if when.get('where') %}
where {{ when['where'] }}
{%- endif %}
group by {{ when['group_by'] }}
having {{ when['condition'] }}
    {%- else %}
select '{{ rule.name }}' as rule_name, cast({{ when.get('key') or key or "null" }} as {{ text }}) as failing_key
from {{ model }}
where ({{ when['condition'] }})
{%- if when.get('where') %}
  and ({{ when['where'] }})
{%- endif %}
    {%- endif %}
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

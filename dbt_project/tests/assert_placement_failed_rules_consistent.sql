-- fct_placement_eligibility: eligible exactly when failed_rules is empty, and every listed
-- rule really failed in int_placement_checks (a rule name typo or a missed rule fails here).
{%- set rules = [
    'active_plan_in_good_standing', 'already_placed', 'bankrupt', 'cadence_complete',
    'days_since_first_statement', 'deceased', 'documented_attempts', 'final_notice',
    'hardship', 'min_balance', 'nonprofit_days_since_first_statement', 'open_dispute',
    'proof_of_contact', 'recent_payment',
] %}

with e as (select * from {{ ref('fct_placement_eligibility') }}),

c as (select * from {{ ref('int_placement_checks') }})

select
    e.guarantor_id,
    e.eligible,
    e.failed_rules
from e
inner join c on e.guarantor_id = c.guarantor_id
where
    e.eligible <> (e.failed_rules = '')
    {% for rule in rules %}
    {%- set listed = dbt.position("'," ~ rule ~ ",'", dbt.concat(["','", 'e.failed_rules', "','"])) %}
    or (c.passes_{{ rule }} = ({{ listed }} > 0))
    {% endfor %}

-- Placement eligibility on the as-of date (docs/rules.md §8 "Placement"; docs/outputs.md):
-- one row per guarantor with a balance > 0. eligible = every rule of int_placement_checks is
-- met (is_eligible); failed_rules =
-- the names of the rules not met, sorted and comma-separated ('' when eligible). The
-- itemization (date = first statement, amount = balance at the end of that day, payments,
-- credits and new charges since, last payment) is what the placement extract carries;
-- bureau_reportable = at least one open encounter is ≥ placement_bureau_min_balance and
-- ≥ placement_bureau_min_days past its balance date (int_placement_encounters).
{%- set rules = [
    'active_plan_in_good_standing', 'already_placed', 'bankrupt', 'cadence_complete',
    'days_since_first_statement', 'deceased', 'documented_attempts', 'final_notice', 'hardship',
    'min_balance', 'nonprofit_days_since_first_statement', 'open_dispute', 'proof_of_contact',
    'recent_payment',
] | sort %}
{%- set failed_terms = [] %}
{%- for rule in rules %}
{%- do failed_terms.append("case when c.passes_" ~ rule ~ " then '' else '," ~ rule ~ "' end") %}
{%- endfor %}
with checks as (select * from {{ ref('int_placement_checks') }}),

itemization as (select * from {{ ref('int_placement_itemization') }}),

bureau as (
    select
        guarantor_id,
        max(case when is_bureau_reportable then 1 else 0 end) = 1 as bureau_reportable,
        sum(case when is_bureau_reportable then balance else 0 end) as bureau_reportable_balance,
        count(*) as open_encounters
    from {{ ref('int_placement_encounters') }}
    group by guarantor_id
),

listed as (
    select
        c.*,
        {{ dbt.concat(failed_terms) }} as failed_list
    from checks as c
)

select
    l.guarantor_id,
    l.is_eligible as eligible,
    case when l.failed_list = '' then '' else substring(l.failed_list, 2, length(l.failed_list) - 1) end
        as failed_rules,
    {{ money('l.balance') }} as balance,
    l.days_since_first_statement,
    l.required_days_since_first_statement,
    l.first_statement_date,
    l.first_statement_source,
    l.first_statement_date as itemization_date,
    i.itemization_amount,
    i.payments_since_itemization,
    i.credits_since_itemization,
    i.charges_since_itemization,
    l.last_payment_date,
    l.documented_attempts,
    l.attempt_channels,
    l.attempt_channel_count,
    l.cadence_steps_done,
    l.cadence_steps,
    l.missing_cadence_steps,
    l.has_proof_of_contact,
    l.proof_of_contact_kinds,
    coalesce(b.bureau_reportable, false) as bureau_reportable,
    {{ money('coalesce(b.bureau_reportable_balance, 0)') }} as bureau_reportable_balance,
    coalesce(b.open_encounters, 0) as open_encounters,
    l.segment,
    l.episode_start,
    l.age_days,
    l.has_open_dispute,
    l.hardship_state,
    l.has_plan_in_good_standing,
    l.is_deceased,
    l.is_bankrupt,
    l.is_placement_open,
    l.was_placed_before,
    l.last_placed_before_date,
    l.has_recent_payment,
    l.final_notice_date,
    l.is_nonprofit_mode,
    l.as_of_date,
    l.policy_version
from listed as l
left join itemization as i on l.guarantor_id = i.guarantor_id
left join bureau as b on l.guarantor_id = b.guarantor_id

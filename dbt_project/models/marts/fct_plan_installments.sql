-- One row per payment-plan installment (docs/outputs.md), with whether it was kept
-- (docs/rules.md §6).
-- kept is null until the installment's grace has ended before the as-of date, and for
-- installments falling due after the plan ended (is_scheduled false, never due).
with installments as (select * from {{ ref('int_plan_installments') }}),

plans as (
    select
        plan_id,
        plan_state
    from {{ ref('int_plan_status') }}
),

policy as (select policy_version from {{ ref('stg_policy') }})

select
    i.installment_id,
    i.plan_id,
    i.guarantor_id,
    i.installment_number,
    i.installment_count,
    i.due_date,
    i.amount_due,
    i.cumulative_due,
    i.grace_end_date,
    i.amount_paid_by_grace,
    i.cumulative_paid_by_grace,
    i.kept,
    i.is_due,
    i.is_scheduled,
    i.is_covered,
    plans.plan_state,
    {{ as_of_date() }} as as_of_date,
    policy.policy_version
from installments as i
cross join policy
left join plans on i.plan_id = plans.plan_id

-- Today's card-on-file charges for the payment processor (docs/rules.md §6 "card on file with
-- consent for agreed dates"): the plan_charge touches of fct_touches that are due (a held
-- charge is in the hold report, a skipped one in fct_touches with its reason). One row per
-- installment; idempotency_key = the touch id (hash of guarantor, installment, step), the same
-- on every run, so the processor refuses a second charge for the installment even if a file
-- were handed over twice. amount = what is still unpaid of the installment. No card data:
-- the processor finds the card it keeps on file by plan_id and guarantor_id.
with charges as (
    select * from {{ ref('fct_touches') }}
    where status = 'due' and is_planned_today and channel = 'card'
),

installments as (select * from {{ ref('int_plan_installments') }})

select
    c.touch_id,
    c.touch_id as idempotency_key,
    c.guarantor_id,
    c.household_id,
    c.episode_start,
    c.step,
    c.channel,
    i.plan_id,
    i.installment_id,
    i.installment_number,
    i.due_date,
    c.move_amount as amount,
    c.as_of_date,
    c.policy_version
from charges as c
inner join installments as i on c.move_key = i.installment_id
where c.move_amount > 0

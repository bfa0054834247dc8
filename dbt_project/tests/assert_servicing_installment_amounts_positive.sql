{{ config(severity='warn') }}
-- Plan exports that cannot be scheduled as given (a data problem to fix at the source):
-- a total_amount below (count − 1) × installment_amount leaves a last installment of zero or
-- less; a plan of more than 1,000 installments is cut at 1,000 (the numbers() sequence).
select
    plan_id,
    max(installment_number) as installments,
    max(installment_count) as installment_count,
    min(amount_due) as smallest_amount_due
from {{ ref('int_plan_installments') }}
group by plan_id
having min(amount_due) <= 0 or max(installment_number) < max(installment_count)

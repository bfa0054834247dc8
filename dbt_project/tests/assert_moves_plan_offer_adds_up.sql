-- The plan calculator (int_plan_offers): the offered installments add up to the balance to
-- the cent, every installment is positive, the offer stays within the policy term and the
-- approval limit, and the first payment falls on the policy day of the month -- for the offers
-- made (is_qualified): a guarantor below plans_min_balance gets none, and a balance of a few
-- cents cannot be split into positive installments (found on the 1,000,000-guarantor clinic).
{{ config(meta={'dagster': {'ref': {'name': 'int_plan_offers'}}}) }}
select o.guarantor_id
from {{ ref('int_plan_offers') }} as o
cross join {{ ref('stg_policy') }} as p
where o.is_qualified and (
        o.installment_amount * (o.offered_payments - 1) + o.last_installment_amount <> o.balance
        or o.installment_amount <= 0
        or o.last_installment_amount <= 0
        or o.offered_payments > o.max_payments
        or o.offered_payments > p.plans_manager_approval_above_payments
        or o.first_due_date <> cast({{ dbt.dateadd(
        'day', 'p.plans_installment_day - 1',
        'cast(' ~ dbt.date_trunc('month', 'o.first_due_date') ~ ' as date)'
    ) }} as date)
    )

-- One row per promise to pay logged by the as-of date (contact_log outcome promise_to_pay with
-- a promised amount and date; docs/rules.md §6). A promise is kept when the guarantor's payments,
-- net of payment reversals, posted from the promise date (the contact's local date) through
-- promised_date + plans_grace_days reach the promised amount. Any payment of the guarantor
-- counts (plan payments too), and one payment can serve overlapping promises. The promise is
-- judged once its grace has ended before the as-of date (kept is null until then);
-- is_fulfilled already says whether the money so far reaches the promise.
with policy as (
    select plans_grace_days from {{ ref('stg_policy') }}
),

promises as (
    select
        c.contact_id,
        c.guarantor_id,
        c.occurred_date as promise_date,
        c.promised_date,
        c.promised_amount,
        cast({{ dbt.dateadd('day', 'policy.plans_grace_days', 'c.promised_date') }} as date) as grace_end_date
    from {{ ref('stg_contact_log') }} as c
    cross join policy
    where c.outcome = 'promise_to_pay'
        and c.promised_amount is not null
        and c.promised_date is not null
        and c.occurred_date <= {{ as_of_date() }}
),

money_in as (
    select
        guarantor_id,
        posted_date,
        case when transaction_type = 'payment' then amount else -amount end as amount
    from {{ ref('stg_patient_transactions') }}
    where transaction_type in ('payment', 'payment_reversal')
        and posted_date <= {{ as_of_date() }}
),

paid as (
    select
        p.contact_id,
        coalesce(sum(m.amount), 0) as amount_paid
    from promises as p
    left join money_in as m
        on p.guarantor_id = m.guarantor_id
            and p.promise_date <= m.posted_date
            and p.grace_end_date >= m.posted_date
    group by p.contact_id
)

select
    p.contact_id,
    p.guarantor_id,
    p.promise_date,
    p.promised_date,
    {{ money('p.promised_amount') }} as promised_amount,
    p.grace_end_date,
    {{ money('case when paid.amount_paid < 0 then 0 else paid.amount_paid end') }} as amount_paid,
    paid.amount_paid >= p.promised_amount as is_fulfilled,
    case
        when p.grace_end_date >= {{ as_of_date() }} then null
        when paid.amount_paid >= p.promised_amount then true
        else false
    end as kept,
    p.promised_date <= {{ as_of_date() }} as is_due
from promises as p
inner join paid on p.contact_id = paid.contact_id

-- Patient-side postings dated on or before the as-of date, summed per encounter
-- (on-account money, with no encounter, is summed per guarantor under encounter_id null).
with postings as (
    select * from {{ ref('stg_patient_transactions') }}
    where posted_date <= {{ as_of_date() }}
)
select
    guarantor_id,
    encounter_id,
    sum(case when transaction_type = 'payment' then amount else 0 end)
        - sum(case when transaction_type = 'payment_reversal' then amount else 0 end) as payments,
    sum(case when transaction_type = 'adjustment' then amount else 0 end) as adjustments,
    sum(case when transaction_type = 'refund' then amount else 0 end) as refunds,
    sum(balance_effect) as balance_effect,
    max(case when transaction_type = 'payment' then posted_date end) as last_payment_date
from postings
group by guarantor_id, encounter_id

-- Patient-side postings with their signed effect on the balance:
-- payment and adjustment lower it, refund and payment_reversal raise it.
select
    transaction_id,
    guarantor_id,
    encounter_id,
    posted_at as posted_date,
    type as transaction_type,
    reason,
    amount,
    case when type in ('payment', 'adjustment') then -amount else amount end as balance_effect,
    method,
    plan_id,
    updated_at,
    _loaded_at as loaded_at
from {{ source('raw', 'patient_transactions') }}

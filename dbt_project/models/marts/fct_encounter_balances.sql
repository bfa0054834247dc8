-- One row per encounter with a patient responsibility on the as-of date (docs/outputs.md):
-- the
-- balances of int_encounter_balances (docs/rules.md "Balances") with the policy's aging bucket
-- (docs/rules.md §2) for balances > 0.
with balances as (select * from {{ ref('int_encounter_balances') }}),

buckets as (select * from {{ ref('stg_policy_aging_buckets') }}),

policy as (select policy_version from {{ ref('stg_policy') }})

select
    b.encounter_id,
    b.guarantor_id,
    b.service_date,
    b.responsibility_status,
    b.total_charge,
    b.insurance_paid,
    b.patient_responsibility,
    b.payments,
    b.adjustments,
    b.refunds,
    b.balance,
    b.balance_date,
    b.age_days,
    case when b.balance > 0 then buckets.aging_bucket end as aging_bucket,
    b.last_payment_date,
    {{ as_of_date() }} as as_of_date,
    policy.policy_version
from balances as b
cross join policy
left join buckets
    on b.balance > 0
        and b.age_days >= buckets.min_days
        and (buckets.max_days is null or b.age_days <= buckets.max_days)

-- One row per encounter with a patient responsibility as of the date (insurance-pending
-- encounters are not patient A/R and are left out, and so are postings waiting on them).
-- balance = responsibility - payments (net of reversals) - adjustments + refunds.
with resp as (
    select * from {{ ref('int_encounter_responsibility') }}
    where responsibility_status <> 'insurance_pending'
),
postings as (
    select * from {{ ref('int_postings_as_of') }} where encounter_id is not null
),
buckets as (select * from {{ ref('stg_policy_aging_buckets') }}),
policy as (select policy_version from {{ ref('stg_policy') }}),
balances as (
    select
        resp.encounter_id,
        resp.guarantor_id,
        resp.service_date,
        resp.responsibility_status,
        resp.total_charge,
        resp.insurance_paid,
        resp.patient_responsibility,
        coalesce(p.payments, 0) as payments,
        coalesce(p.adjustments, 0) as adjustments,
        coalesce(p.refunds, 0) as refunds,
        resp.patient_responsibility - coalesce(p.payments, 0) - coalesce(p.adjustments, 0)
            + coalesce(p.refunds, 0) as balance,
        resp.balance_date,
        {{ days_between('resp.balance_date', as_of_date()) }} as age_days,
        p.last_payment_date
    from resp
    left join postings as p on p.encounter_id = resp.encounter_id
)
select
    b.encounter_id,
    b.guarantor_id,
    b.service_date,
    b.responsibility_status,
    {{ money('b.total_charge') }} as total_charge,
    {{ money('b.insurance_paid') }} as insurance_paid,
    {{ money('b.patient_responsibility') }} as patient_responsibility,
    {{ money('b.payments') }} as payments,
    {{ money('b.adjustments') }} as adjustments,
    {{ money('b.refunds') }} as refunds,
    {{ money('b.balance') }} as balance,
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

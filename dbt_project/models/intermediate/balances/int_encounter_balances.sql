-- One row per encounter with a patient responsibility on the as-of date D (docs/rules.md §1
-- "Balances"): balance = responsibility − payments (net of reversals) −
-- adjustments + refunds, summed from the balance ledger's postings effective on or before D.
-- Insurance-pending encounters, and the postings waiting on them, are not here.
-- age_days = D − balance date; last_payment_date = the latest payment posted on it (≤ D).
with run as (select {{ as_of_date() }} as as_of_date),

responsibility as (
    select * from {{ ref('int_encounter_responsibility') }}
    where responsibility_status <> 'insurance_pending'
),

postings as (
    select
        l.encounter_id,
        sum(case when l.event_kind = 'payment' then -l.amount else 0 end)
        - sum(case when l.event_kind = 'payment_reversal' then l.amount else 0 end) as payments,
        sum(case when l.event_kind = 'adjustment' then -l.amount else 0 end) as adjustments,
        sum(case when l.event_kind = 'refund' then l.amount else 0 end) as refunds,
        sum(l.amount) as posted,
        max(case when l.event_kind = 'payment' then l.posted_date end) as last_payment_date
    from {{ ref('int_balance_ledger') }} as l
    cross join run
    where l.event_kind <> 'charge'
        and l.encounter_id is not null
        and l.effective_date <= run.as_of_date
    group by l.encounter_id
)

select
    r.encounter_id,
    r.guarantor_id,
    r.service_date,
    r.responsibility_status,
    {{ money('r.total_charge') }} as total_charge,
    {{ money('r.insurance_paid') }} as insurance_paid,
    {{ money('r.patient_responsibility') }} as patient_responsibility,
    {{ money('coalesce(p.payments, 0)') }} as payments,
    {{ money('coalesce(p.adjustments, 0)') }} as adjustments,
    {{ money('coalesce(p.refunds, 0)') }} as refunds,
    {{ money('r.patient_responsibility + coalesce(p.posted, 0)') }} as balance,
    r.balance_date,
    {{ days_between('r.balance_date', 'run.as_of_date') }} as age_days,
    p.last_payment_date,
    r.effective_remittance_claim_id
from responsibility as r
cross join run
left join postings as p on r.encounter_id = p.encounter_id

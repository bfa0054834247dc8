-- Patient responsibility of every encounter serviced by the as-of date (docs/rules.md §1):
-- self-pay: total_charge effective on service_date; insured: CLP05 of the effective
-- adjudication, effective on its payment date; insured with none: insurance pending (no
-- responsibility, not patient A/R).
with encounters as (
    select * from {{ ref('stg_encounters') }}
    where service_date <= {{ as_of_date() }}
),

effective as (
    select * from {{ ref('int_encounter_adjudications') }}
    where is_effective
)

select
    e.encounter_id,
    e.guarantor_id,
    e.service_date,
    e.total_charge,
    e.is_self_pay,
    case
        when e.is_self_pay then 'self_pay'
        when a.encounter_id is not null then 'adjudicated'
        else 'insurance_pending'
    end as responsibility_status,
    case when e.is_self_pay then e.total_charge else a.patient_responsibility end
        as patient_responsibility,
    case when e.is_self_pay then e.service_date else a.payment_date end as balance_date,
    a.remittance_claim_id as effective_remittance_claim_id,
    coalesce(a.paid, 0) as insurance_paid
from encounters as e
left join effective as a on e.encounter_id = a.encounter_id

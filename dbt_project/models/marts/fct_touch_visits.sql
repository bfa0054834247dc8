-- One line per open visit (an encounter with a balance) of each due cadence touch that states an
-- amount (statement, final notice, e-mail, call, text): the statement's visit lines and summary
-- box, which reconcile on the page (docs/outputs.md "Statements"):
--   charge - insurance_paid - plan_adjustments = patient_portion
--   patient_portion - payments_credits = balance
-- insurance_paid is every payer's payment (int_encounter_payers); plan_adjustments is what the
-- payers took off the charge (contractual adjustments and the like: the charge less what they
-- paid less the patient responsibility); payments_credits is what the patient paid and the
-- credits given on the visit (payments, adjustments, less refunds). pr_*: "why you owe", the
-- 835's CAS group PR amounts of the effective adjudication (self-pay visits: none).
with touches as (
    select
        touch_id,
        guarantor_id
    from {{ ref('fct_touch_audience') }}
    where move_key is null
),

visits as (
    select * from {{ ref('fct_encounter_balances') }}
    where balance > 0
),

payers as (select * from {{ ref('int_encounter_payers') }})

select
    t.touch_id,
    t.guarantor_id,
    v.encounter_id,
    v.service_date,
    row_number() over (
        partition by t.touch_id order by v.service_date, v.encounter_id
    ) as visit_seq,
    v.responsibility_status,
    {{ money('v.total_charge') }} as charge,
    {{ money('coalesce(p.insurance_paid, 0)') }} as insurance_paid,
    {{ money('v.total_charge - coalesce(p.insurance_paid, 0) - v.patient_responsibility') }}
        as plan_adjustments,
    {{ money('v.patient_responsibility') }} as patient_portion,
    {{ money('v.patient_responsibility - v.balance') }} as payments_credits,
    {{ money('v.balance') }} as balance,
    {{ money('coalesce(p.pr_deductible, 0)') }} as pr_deductible,
    {{ money('coalesce(p.pr_coinsurance, 0)') }} as pr_coinsurance,
    {{ money('coalesce(p.pr_copay, 0)') }} as pr_copay,
    {{ money('coalesce(p.pr_other, 0)') }} as pr_other
from touches as t
inner join visits as v on t.guarantor_id = v.guarantor_id
left join payers as p on v.encounter_id = p.encounter_id

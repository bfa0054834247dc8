-- docs/outputs.md "Statements": every visit line of a statement reconciles to the cent
-- (charge - insurance paid - plan adjustments = your portion; your portion - payments and
-- credits = still due).
select
    v.touch_id,
    v.encounter_id
from {{ ref('fct_touch_visits') }} as v
where v.charge - v.insurance_paid - v.plan_adjustments <> v.patient_portion
    or v.patient_portion - v.payments_credits <> v.balance

-- The audience of today's due touches: what the outreach assets need to compose each message
-- (contact details, the amount due = the guarantor's balance on the as-of date, the visit
-- date and insurance summary of the guarantor's open encounters) and nothing else. A GE suite
-- checks it before anything leaves; held and skipped touches are not here.
with touches as (
    select * from {{ ref('fct_touches') }} where status = 'due' and is_planned_today
),
status as (select * from {{ ref('dim_guarantor_status') }}),
guarantors as (select * from {{ ref('stg_guarantors') }}),
open_encounters as (
    select
        guarantor_id,
        min(service_date) as visit_date,
        sum(total_charge) as charge,
        sum(insurance_paid) as insurance_paid,
        sum(patient_responsibility) as patient_portion,
        count(*) as open_encounters
    from {{ ref('fct_encounter_balances') }}
    where balance > 0
    group by guarantor_id
),
policy as (select * from {{ ref('stg_policy') }})
select
    t.touch_id,
    t.guarantor_id,
    t.household_id,
    t.episode_start,
    t.step,
    t.channel,
    t.variant,
    g.first_name,
    g.last_name,
    g.address_line1,
    g.address_line2,
    g.city,
    g.state,
    g.postal_code,
    g.phone,
    g.email,
    t.timezone,
    t.contact_window_start,
    t.contact_window_end,
    {{ money('s.balance') }} as balance,
    e.visit_date,
    {{ money('e.charge') }} as charge,
    {{ money('e.insurance_paid') }} as insurance_paid,
    {{ money('e.patient_portion') }} as patient_portion,
    coalesce(e.open_encounters, 0) as open_encounters,
    s.segment,
    s.tier,
    {{ dbt.dateadd('day', 'policy.outreach_payment_due_days', 't.as_of_date') }} as payment_due_date,
    t.as_of_date,
    t.policy_version
from touches as t
inner join status as s on s.guarantor_id = t.guarantor_id
inner join guarantors as g on g.guarantor_id = t.guarantor_id
left join open_encounters as e on e.guarantor_id = t.guarantor_id
cross join policy

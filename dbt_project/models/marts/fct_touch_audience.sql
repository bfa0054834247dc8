-- The audience of today's due touches: what the outreach assets need to compose each message
-- (contact details, the amount due = the guarantor's balance on the as-of date, the visit
-- date and insurance summary of the guarantor's open encounters) and nothing else. A GE suite
-- checks it before anything leaves; held and skipped touches are not here.
-- Gate columns (the rule in SQL, the check in expectations/touch_audience.json), recomputed
-- here from the guarantor row and the balance marts rather than trusted from the plan, so a
-- bug upstream in the cadence cannot send what a guardrail forbids:
--   channel_block_reason / guarantor_hold_reasons: the guardrails of int_touch_guardrails for
--     this touch's channel and guarantor (null = allowed);
--   consent_at / opt_out_at: the guarantor's consent and opt-out timestamps of the channel
--     (sms, email; null for mail and phone, which need no consent); requires_consent;
--   send_window_start_minute / send_window_end_minute: the local contact window in minutes
--     after local midnight (08:00 = 480, 21:00 = 1260);
--   amount_matches_balance: the amount the message states (balance) equals the guarantor's
--     balance recomputed from fct_encounter_balances plus on-account money.
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
policy as (select * from {{ ref('stg_policy') }}),
guardrails as (select * from {{ ref('int_touch_guardrails') }}),
balances as (select * from {{ ref('int_guarantor_balances') }}),
encounter_sums as (
    select guarantor_id, sum(balance) as encounter_balance
    from {{ ref('fct_encounter_balances') }}
    group by guarantor_id
)
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
    t.policy_version,
    case t.channel
        when 'sms' then gr.sms_block_reason
        when 'email' then gr.email_block_reason
        when 'mail' then gr.mail_block_reason
        when 'phone' then gr.phone_block_reason
        else 'unknown_channel'
    end as channel_block_reason,
    gr.hold_reasons as guarantor_hold_reasons,
    t.channel in ('sms', 'email') as requires_consent,
    case t.channel when 'sms' then g.sms_consent_at when 'email' then g.email_consent_at end
        as consent_at,
    case t.channel when 'sms' then g.sms_opt_out_at when 'email' then g.email_opt_out_at end
        as opt_out_at,
    cast(substring(t.contact_window_start, 1, 2) as {{ dbt.type_int() }}) * 60
        + cast(substring(t.contact_window_start, 4, 2) as {{ dbt.type_int() }})
        as send_window_start_minute,
    cast(substring(t.contact_window_end, 1, 2) as {{ dbt.type_int() }}) * 60
        + cast(substring(t.contact_window_end, 4, 2) as {{ dbt.type_int() }})
        as send_window_end_minute,
    coalesce(
        s.balance = {{ money('coalesce(es.encounter_balance, 0) + coalesce(b.on_account_balance, 0)') }},
        false
    ) as amount_matches_balance
from touches as t
inner join status as s on s.guarantor_id = t.guarantor_id
inner join guarantors as g on g.guarantor_id = t.guarantor_id
left join open_encounters as e on e.guarantor_id = t.guarantor_id
left join guardrails as gr on gr.guarantor_id = t.guarantor_id
left join balances as b on b.guarantor_id = t.guarantor_id
left join encounter_sums as es on es.guarantor_id = t.guarantor_id
cross join policy

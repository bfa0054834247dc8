-- The audience of today's due touches: what the outreach assets need to compose each message
-- (contact details, the amount due = the guarantor's balance on the as-of date, the visit
-- date and insurance summary of the guarantor's open encounters) and nothing else. A GE suite
-- checks it before anything leaves; held and skipped touches are not here.
-- Segment moves (int_move_candidates) carry what their message needs besides:
--   move_amount / move_date: the installment (plan_reminder), the refund (refund_confirmation),
--     the first offered installment (plan_offer), the support end (hardship_review);
--   plan_offer_*: the plan calculator's offer (int_plan_offers) for plan_offer touches and for
--     the live call of a high_value_engaged guarantor (the call opener offers the plan);
--   plan_*: the plan in good standing (int_plan_status, computed from its installments) for
--     plan_reminder and the plan_confirmation statement 2;
--   eob_*: for dispute_review, the 835 summary of the disputed encounter (all the guarantor's
--     open encounters when the dispute names none): charge, insurance paid, deductible,
--     coinsurance, copay, other patient responsibility, what remains;
--   hardship_*: the application of hardship letters (support end: the effective one of
--     int_hardship_status, the policy's maximum when the export left it blank).
-- phone: the number the hand-off uses, E.164 (stg_guarantors.phone_e164), so the plan and the
-- hand-off judge a number the same way (docs/rules.md "Phone numbers").
-- visit_date: the oldest open visit; for a move of a guarantor with nothing open, the refunded
-- visit (refund_confirmation) or the latest visit.
-- balance is null where it is not positive (a refund confirmation to a guarantor in credit):
-- no message asks for money there. Card-on-file charges (channel card) are not messages:
-- they are in fct_plan_charges.
-- Gate columns (the rule in SQL, the check in expectations/touch_audience.json), recomputed
-- here from the guarantor row and the balance marts rather than trusted from the plan, so a
-- bug upstream in the cadence cannot send what a guardrail forbids:
--   channel_block_reason / guarantor_hold_reasons: the guardrails of int_touch_guardrails for
--     this touch's channel, and the first guarantor hold that applies to this touch's step
--     (macro first_guarantor_hold: the correspondence a hold allows passes it) (null = allowed);
--   consent_at / opt_out_at: the guarantor's consent and opt-out timestamps of the channel
--     (sms, email; null for mail and phone, which need no consent); requires_consent;
--   send_window_start_minute / send_window_end_minute: the local contact window in minutes
--     after local midnight (08:00 = 480, 21:00 = 1260);
--   amount_matches_balance: the amount the message states (balance) equals the guarantor's
--     balance recomputed from fct_encounter_balances plus on-account money; a move that states
--     no amount (a refund note to a guarantor in credit) passes, a cadence step never does.
with touches as (
    select * from {{ ref('fct_touches') }}
    where status = 'due' and is_planned_today and channel <> 'card'
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

latest_visits as (
    select
        guarantor_id,
        max(service_date) as visit_date
    from {{ ref('fct_encounter_balances') }}
    group by guarantor_id
),

refunded_visits as (
    select
        t.transaction_id,
        b.service_date as visit_date
    from {{ ref('stg_patient_transactions') }} as t
    inner join {{ ref('fct_encounter_balances') }} as b on t.encounter_id = b.encounter_id
    where t.transaction_type = 'refund'
),

policy as (select * from {{ ref('stg_policy') }}),

offers as (
    select * from {{ ref('int_plan_offers') }}
    where is_qualified
),

plans_in_force as (
    select
        p.guarantor_id,
        p.plan_id,
        p.installment_count,
        p.next_due_date,
        pp.has_card_on_file,
        pp.installment_amount,
        row_number() over (
            partition by p.guarantor_id order by p.created_date desc, p.plan_id desc
        ) as plan_rank
    from {{ ref('int_plan_status') }} as p
    inner join {{ ref('stg_payment_plans') }} as pp on p.plan_id = pp.plan_id
    where p.in_good_standing
),

adjudications as (
    select
        encounter_id,
        pr_deductible,
        pr_coinsurance,
        pr_copay,
        pr_other,
        payer_id
    from {{ ref('int_encounter_adjudications') }}
    where is_effective
),

eob_lines as (
    select
        t.touch_id,
        b.service_date,
        b.total_charge,
        b.insurance_paid,
        a.pr_deductible,
        a.pr_coinsurance,
        a.pr_copay,
        a.pr_other,
        b.balance,
        a.payer_id
    from touches as t
    inner join {{ ref('fct_encounter_balances') }} as b
        on t.guarantor_id = b.guarantor_id
            and (t.subject_id = b.encounter_id or (t.subject_id is null and b.balance > 0))
    left join adjudications as a on b.encounter_id = a.encounter_id
    where t.step = 'dispute_review'
),

eob as (
    select
        touch_id,
        min(service_date) as eob_visit_date,
        sum(total_charge) as eob_charge,
        sum(insurance_paid) as eob_insurance_paid,
        sum(coalesce(pr_deductible, 0)) as eob_deductible,
        sum(coalesce(pr_coinsurance, 0)) as eob_coinsurance,
        sum(coalesce(pr_copay, 0)) as eob_copay,
        sum(coalesce(pr_other, 0)) as eob_other,
        sum(balance) as eob_remains,
        count(*) as eob_encounters,
        max(case when payer_id is null then 1 else 0 end) = 1 as eob_has_self_pay
    from eob_lines
    group by touch_id
),

guardrails as (select * from {{ ref('int_touch_guardrails') }}),

balances as (select * from {{ ref('int_guarantor_balances') }}),

encounter_sums as (
    select
        guarantor_id,
        sum(balance) as encounter_balance
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
    g.phone_e164 as phone,
    g.email,
    t.timezone,
    t.contact_window_start,
    t.contact_window_end,
    case when s.balance > 0 then {{ money('s.balance') }} end as balance,
    coalesce(e.visit_date, rv.visit_date, lv.visit_date) as visit_date,
    {{ money('e.charge') }} as charge,
    {{ money('e.insurance_paid') }} as insurance_paid,
    {{ money('e.patient_portion') }} as patient_portion,
    coalesce(e.open_encounters, 0) as open_encounters,
    s.segment,
    s.tier,
    {{ dbt.dateadd('day', 'policy.outreach_payment_due_days', 't.as_of_date') }} as payment_due_date,
    t.move_key,
    t.subject_id,
    t.move_amount,
    t.move_date,
    case when o.guarantor_id is not null then o.offered_payments end as plan_offer_payments,
    case when o.guarantor_id is not null then o.installment_amount end as plan_offer_amount,
    case when o.guarantor_id is not null then o.last_installment_amount end as plan_offer_last_amount,
    case when o.guarantor_id is not null then o.first_due_date end as plan_offer_first_due,
    case when o.guarantor_id is not null then o.last_due_date end as plan_offer_last_due,
    case when o.guarantor_id is not null then o.installment_day end as plan_offer_day,
    case when o.guarantor_id is not null then o.max_payments end as plan_offer_max_payments,
    case when o.guarantor_id is not null then o.needs_manager_approval end as plan_offer_needs_approval,
    case when t.step = 'plan_reminder' or t.variant = 'plan_confirmation' then p.plan_id end as plan_id,
    case when t.step = 'plan_reminder' or t.variant = 'plan_confirmation' then p.installment_count end
        as plan_payments,
    case when t.step = 'plan_reminder' or t.variant = 'plan_confirmation' then {{ money('p.installment_amount') }} end
        as plan_amount,
    case when t.step = 'plan_reminder' or t.variant = 'plan_confirmation' then p.next_due_date end
        as plan_next_due,
    case when t.step = 'plan_reminder' or t.variant = 'plan_confirmation' then p.has_card_on_file end
        as plan_card_on_file,
    eob.eob_visit_date,
    {{ money('eob.eob_charge') }} as eob_charge,
    {{ money('eob.eob_insurance_paid') }} as eob_insurance_paid,
    {{ money('eob.eob_deductible') }} as eob_deductible,
    {{ money('eob.eob_coinsurance') }} as eob_coinsurance,
    {{ money('eob.eob_copay') }} as eob_copay,
    {{ money('eob.eob_other') }} as eob_other,
    {{ money('eob.eob_remains') }} as eob_remains,
    eob.eob_encounters,
    h.outcome as hardship_outcome,
    h.relief as hardship_relief,
    h.discount_pct as hardship_discount_pct,
    h.support_start_date as hardship_support_start,
    coalesce(hs.effective_support_end_date, h.support_end_date) as hardship_support_end,
    t.as_of_date,
    t.policy_version,
    case t.channel
        when 'sms' then gr.sms_block_reason
        when 'email' then gr.email_block_reason
        when 'mail' then gr.mail_block_reason
        when 'phone' then gr.phone_block_reason
        else 'unknown_channel'
    end as channel_block_reason,
    {{ first_guarantor_hold('gr', 't.step') }} as guarantor_hold_reasons,
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
    case
        when s.balance > 0
            then coalesce(
                    s.balance = {{ money('coalesce(es.encounter_balance, 0) + coalesce(b.on_account_balance, 0)') }},
                    false
                )
        else t.move_key is not null   -- a move may state no amount; a cadence step always does
    end as amount_matches_balance
from touches as t
inner join guarantors as g on t.guarantor_id = g.guarantor_id
left join status as s on t.guarantor_id = s.guarantor_id
left join open_encounters as e on t.guarantor_id = e.guarantor_id
left join refunded_visits as rv on t.subject_id = rv.transaction_id and t.step = 'refund_confirmation'
left join latest_visits as lv on t.guarantor_id = lv.guarantor_id
left join offers as o
    on t.guarantor_id = o.guarantor_id
        and (t.step = 'plan_offer' or (t.step = 'live_call' and s.segment = 'high_value_engaged'))
left join plans_in_force as p on t.guarantor_id = p.guarantor_id and p.plan_rank = 1
left join eob on t.touch_id = eob.touch_id
left join {{ ref('stg_hardship') }} as h
    on t.subject_id = h.application_id
        and t.step in ('hardship_application', 'hardship_decision', 'hardship_review')
left join {{ ref('int_hardship_status') }} as hs on h.application_id = hs.application_id
left join guardrails as gr on t.guarantor_id = gr.guarantor_id
left join balances as b on t.guarantor_id = b.guarantor_id
left join encounter_sums as es on t.guarantor_id = es.guarantor_id
cross join policy

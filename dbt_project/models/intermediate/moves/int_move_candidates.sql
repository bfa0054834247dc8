-- The segment moves and servicing touches due on the as-of date D beyond the five-step
-- cadence (docs/rules.md "Moves"; docs/rules.md §3 best first moves, §6 plans and hardship, §7
-- refunds), in the shape of int_touch_candidates, which adds them to the cadence's candidates:
-- from there the
-- same guardrails (int_touch_holds), ledger, hold report and channels apply.
-- One row per (move, subject). touch_id = hash(guarantor_id|move_key|step), move_key the
-- subject that makes the touch unique, so a re-run or a later day never repeats it:
--   plan_offer          (email, else mail)  segment high_value_engaged, qualified for a plan
--                       (int_plan_offers); once per episode: move_key = episode_start.
--   plan_reminder       (sms, else email)   an unpaid installment of an active plan due in
--                       1..plans_reminder_days_before days; move_key = installment_id.
--   plan_charge         (card)              card-on-file plan (payment_plans.card_on_file) of
--                       an active plan, installment due (due date ≤ D ≤ grace end) and not
--                       covered; skipped no_card_on_file_consent without the guarantor's
--                       card_on_file_consent_at on or before D; move_key = installment_id.
--   dispute_review      (email)             an open dispute (move_key = dispute_id), or a
--                       dispute_raised contact in the segment look-back with no dispute opened
--                       or resolved since (move_key = contact_id).
--   hardship_application (mail)            an application submitted in the last
--                       hardship_letter_lookback_days and not decided: the one-page form.
--   hardship_decision   (mail)             an approve/deny decision dated in the last
--                       hardship_letter_lookback_days; move_key = application_id.
--   hardship_review     (mail)             active support whose review date
--                       (int_hardship_status.review_due_date) is reached; move_key =
--                       application_id.
--   refund_confirmation (email, else mail)  a refund posted in the last
--                       refunds_confirmation_lookback_days; move_key = transaction_id.
-- A move is due until the ledger records it done (sent, delivered, skipped, failed). When no
-- channel of the move is open it is skipped with the primary channel's block reason (recorded
-- once, like a blocked cadence step). move_priority orders the moves of one guarantor on one
-- day when the daily cap allows only one (int_touch_holds): dispute review 1, hardship
-- decision 2, review 3, application 4, refund note 5, plan reminder or offer 6 (the segment's
-- best first move before the cadence), the cadence steps 7 (a held cadence step goes the next
-- day).
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        plans_reminder_days_before as reminder_days,
        hardship_letter_lookback_days as hardship_lookback,
        refunds_confirmation_lookback_days as refund_lookback,
        segments_dispute_contact_lookback_days as dispute_lookback
    from {{ ref('stg_policy') }}
),

guardrails as (select * from {{ ref('int_touch_guardrails') }}),

episodes as (select * from {{ ref('int_guarantor_episodes') }}),

status as (
    select * from {{ ref('int_guarantor_segments') }}
    where is_as_of_date
),

done as (
    select distinct l.touch_id
    from {{ ref('stg_send_ledger') }} as l
    cross join run
    where l.status in ('sent', 'delivered', 'skipped', 'failed')
        and l.as_of_date <= run.as_of_date
),

-- plan offers -----------------------------------------------------------------------------
plan_offers as (
    select
        s.guarantor_id,
        'plan_offer' as step,
        6 as move_priority,
        {{ dbt.safe_cast('s.episode_start', dbt.type_string()) }} as move_key,
        cast(null as {{ dbt.type_string() }}) as subject_id,
        o.installment_amount as move_amount,
        o.first_due_date as move_date,
        'email' as primary_channel,
        'mail' as fallback_channel
    from status as s
    inner join {{ ref('int_plan_offers') }} as o on s.guarantor_id = o.guarantor_id
    where s.segment = 'high_value_engaged' and o.is_qualified
),

-- plan servicing --------------------------------------------------------------------------
installments as (
    select
        i.*,
        p.plan_state,
        pp.has_card_on_file
    from {{ ref('int_plan_installments') }} as i
    inner join {{ ref('int_plan_status') }} as p on i.plan_id = p.plan_id
    inner join {{ ref('stg_payment_plans') }} as pp on i.plan_id = pp.plan_id
    where i.is_scheduled and not i.is_covered and p.plan_state = 'active'
),

plan_reminders as (
    select
        i.guarantor_id,
        'plan_reminder' as step,
        6 as move_priority,
        i.installment_id as move_key,
        i.plan_id as subject_id,
        {{ money('i.cumulative_due - i.cumulative_paid_to_date') }} as move_amount,
        i.due_date as move_date,
        'sms' as primary_channel,
        'email' as fallback_channel
    from installments as i
    cross join run
    where {{ days_between('run.as_of_date', 'i.due_date') }} between 1 and run.reminder_days
),

plan_charges as (
    select
        i.guarantor_id,
        'plan_charge' as step,
        0 as move_priority,
        i.installment_id as move_key,
        i.plan_id as subject_id,
        {{ money(
            'case when i.cumulative_due - i.cumulative_paid_to_date < i.amount_due'
            ~ ' then i.cumulative_due - i.cumulative_paid_to_date else i.amount_due end'
        ) }} as move_amount,
        i.due_date as move_date,
        'card' as primary_channel,
        cast(null as {{ dbt.type_string() }}) as fallback_channel
    from installments as i
    cross join run
    where i.has_card_on_file
        and i.due_date <= run.as_of_date
        and run.as_of_date <= i.grace_end_date
),

-- dispute review --------------------------------------------------------------------------
disputes as (select * from {{ ref('int_dispute_status') }}),

dispute_reviews as (
    select
        d.guarantor_id,
        'dispute_review' as step,
        1 as move_priority,
        d.dispute_id as move_key,
        d.encounter_id as subject_id,
        cast(null as decimal(18, 2)) as move_amount,
        d.opened_date as move_date,
        'email' as primary_channel,
        cast(null as {{ dbt.type_string() }}) as fallback_channel
    from disputes as d
    where d.is_open
    union all
    select
        c.guarantor_id,
        'dispute_review',
        1,
        c.source_id,
        cast(null as {{ dbt.type_string() }}),
        cast(null as decimal(18, 2)),
        c.occurred_date,
        'email',
        cast(null as {{ dbt.type_string() }})
    from {{ ref('int_contact_events') }} as c
    cross join run
    where c.outcome = 'dispute_raised'
        and {{ days_between('c.occurred_date', 'run.as_of_date') }}
        between 0 and run.dispute_lookback
        and not exists (
            select 1 from disputes as d
            where d.guarantor_id = c.guarantor_id
                and (
                    d.is_open
                    or (d.opened_date >= c.occurred_date and d.opened_date <= run.as_of_date)
                    or (d.resolved_date is not null and d.resolved_date >= c.occurred_date)
                )
        )
),

-- hardship servicing ----------------------------------------------------------------------
applications as (
    select
        h.*,
        run.as_of_date,
        run.hardship_lookback
    from {{ ref('stg_hardship') }} as h
    cross join run
    where h.submitted_date <= run.as_of_date
),

hardship_letters as (
    select
        a.guarantor_id,
        'hardship_application' as step,
        4 as move_priority,
        a.application_id as move_key,
        a.application_id as subject_id,
        cast(null as decimal(18, 2)) as move_amount,
        a.submitted_date as move_date,
        'mail' as primary_channel,
        cast(null as {{ dbt.type_string() }}) as fallback_channel
    from applications as a
    where {{ days_between('a.submitted_date', 'a.as_of_date') }} between 0 and a.hardship_lookback
        and not (
            a.outcome in ('approved', 'denied')
            and (a.decided_date is null or a.decided_date <= a.as_of_date)
        )
    union all
    select
        a.guarantor_id,
        'hardship_decision',
        2,
        a.application_id as move_key,
        a.application_id as subject_id,
        cast(null as decimal(18, 2)),
        a.decided_date,
        'mail',
        cast(null as {{ dbt.type_string() }})
    from applications as a
    where a.outcome in ('approved', 'denied')
        and a.decided_date is not null
        and {{ days_between('a.decided_date', 'a.as_of_date') }} between 0 and a.hardship_lookback
    union all
    select
        h.guarantor_id,
        'hardship_review',
        3,
        h.application_id as move_key,
        h.application_id as subject_id,
        cast(null as decimal(18, 2)),
        h.effective_support_end_date,
        'mail',
        cast(null as {{ dbt.type_string() }})
    from {{ ref('int_hardship_status') }} as h
    cross join run
    where h.hardship_state = 'active'
        and h.review_due_date is not null
        and h.review_due_date <= run.as_of_date
),

-- refund confirmations --------------------------------------------------------------------
refund_notes as (
    select
        t.guarantor_id,
        'refund_confirmation' as step,
        5 as move_priority,
        t.transaction_id as move_key,
        t.transaction_id as subject_id,
        {{ money('t.amount') }} as move_amount,
        t.posted_date as move_date,
        'email' as primary_channel,
        'mail' as fallback_channel
    from {{ ref('stg_patient_transactions') }} as t
    cross join run
    where t.transaction_type = 'refund'
        and {{ days_between('t.posted_date', 'run.as_of_date') }} between 0 and run.refund_lookback
),

moves as (
    select * from plan_offers
    union all
    select * from plan_reminders
    union all
    select * from plan_charges
    union all
    select * from dispute_reviews
    union all
    select * from hardship_letters
    union all
    select * from refund_notes
),

keyed as (
    select
        {{ dbt.hash(dbt.concat(['m.guarantor_id', "'|'", 'm.move_key', "'|'", 'm.step'])) }}
            as touch_id,
        m.*
    from moves as m
),

blocks as (
    select
        k.*,
        g.household_id,
        case k.primary_channel
            when 'sms' then g.sms_block_reason
            when 'email' then g.email_block_reason
            when 'mail' then g.mail_block_reason
            when 'phone' then g.phone_block_reason
            when 'card' then g.card_block_reason
        end as primary_block,
        case k.fallback_channel
            when 'sms' then g.sms_block_reason
            when 'email' then g.email_block_reason
            when 'mail' then g.mail_block_reason
            when 'phone' then g.phone_block_reason
        end as fallback_block
    from keyed as k
    inner join guardrails as g on k.guarantor_id = g.guarantor_id
    where not exists (
            select 1 from done as d
            where d.touch_id = k.touch_id
        )
)

select
    b.touch_id,
    b.guarantor_id,
    b.household_id,
    e.episode_start,
    b.step,
    cast(null as {{ dbt.type_int() }}) as step_order,
    cast(null as {{ dbt.type_int() }}) as step_day,
    case
        when b.primary_block is null or b.fallback_channel is null then b.primary_channel
        when b.fallback_block is null then b.fallback_channel
        else b.primary_channel
    end as channel,
    cast(null as {{ dbt.type_string() }}) as variant,
    coalesce(e.age_days, 0) as age_days,
    b.move_date as step_reached_date,
    case
        when b.primary_block is not null
            and (b.fallback_channel is null or b.fallback_block is not null) then 'skipped'
        else 'candidate'
    end as plan_status,
    case
        when b.primary_block is not null
            and (b.fallback_channel is null or b.fallback_block is not null) then b.primary_block
    end as skip_reason,
    b.move_key,
    b.move_priority,
    b.subject_id,
    b.move_amount,
    b.move_date
from blocks as b
left join episodes as e on b.guarantor_id = e.guarantor_id

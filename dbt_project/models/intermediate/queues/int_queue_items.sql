-- Staff work queues, recomputed daily (docs/rules.md §9 "Queues"; docs/outputs.md): one row per
-- (queue, guarantor, item). item_id = hash(queue|source_key) is stable from day to day while
-- the item stays open (the mini-audit's key includes the draw date). priority: 1 = most urgent.
-- due_date: the day the item is (or became) due. reason: short text, amounts and dates only,
-- never clinical detail. Windows come from stg_policy (queues_*, plans_grace_days).
--   returned_contact: per guarantor with a balance ≠ 0 and kind — returned_mail, wrong_number,
--     email_bounced — the contact events whose effect is still in effect on D
--     (int_contact_events: the same window that blocks the channel, so the item goes when the
--     block lifts: a verified address, a changed number or a conversation on it, another
--     e-mail address). due_date = the oldest such event; priority returned_mail 1,
--     wrong_number 2, email_bounced 3.
--   new_balance: per open encounter (balance > 0, guarantor balance > 0) under
--     queues_new_balance_max_age_days days old (0 ≤ age < N: "new balances under 30 days");
--     due_date = balance date + N; priority by the guarantor's tier: high 1, medium 2, small 3.
--   plans_due: paused plans to call (int_plan_status.call_due_date; priority 1); promises
--     broken within the last queues_plans_due_within_days days (grace ended, not kept;
--     priority 1); promises due and not yet paid, in their grace (priority 2) or due within
--     the window (priority 3); installments in force, not covered yet, due in the next
--     queues_plans_due_within_days days (D through D + N − 1: "the next 7 days" are 7 days) on
--     active or paused plans (priority 3).
--   disputes_open: every dispute open on D; priority = rank by age, oldest first (1 = oldest);
--     due_date = opened date (the policy sets no dispute deadline).
--   hardship_review: applications pending a decision (priority 1, due since submission) and
--     active support whose review_due_date (int_hardship_status) falls before the end of the
--     queues' look-ahead (D + queues_plans_due_within_days, exclusive) (priority 2).
--   placement_review: guarantors eligible for placement (int_placement_checks); priority by
--     tier (high 1, medium 2, small 3); due_date = first statement + the days the rule needs.
--   refunds_due: every credit of int_refund_items; priority 1 when due on or before D or an
--     overcharge, 2 when due within the look-ahead window, 3 later.
--   mini_audit: queues_audit_draw_size guarantors with a balance > 0, the first by
--     hash(guarantor_id|queues_audit_seed|D): the same draw for a re-run of D, a new one each
--     day; priority = draw order.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        {{ window_end_exclusive(as_of_date(), 'p.queues_plans_due_within_days') }} as window_end,
        p.*
    from {{ ref('stg_policy') }} as p
),

status as (
    select
        b.guarantor_id,
        b.balance,
        s.tier
    from {{ ref('int_guarantor_balances') }} as b
    left join {{ ref('int_guarantor_segments') }} as s
        on b.guarantor_id = s.guarantor_id and s.is_as_of_date
    where b.balance <> 0
),

-- returned contact ------------------------------------------------------------------------
open_returns as (
    select
        c.guarantor_id,
        c.effect as kind,
        min(c.occurred_date) as first_date,
        count(*) as events
    from {{ ref('int_contact_events') }} as c
    inner join status as s on c.guarantor_id = s.guarantor_id
    where c.effect in ('returned_mail', 'wrong_number', 'email_bounced') and c.is_in_effect
    group by c.guarantor_id, c.effect
),

returned_contact as (
    select
        'returned_contact' as queue,
        guarantor_id,
        case kind when 'returned_mail' then 1 when 'wrong_number' then 2 else 3 end as priority,
        first_date as due_date,
        {{ dbt.concat([
            "case kind when 'returned_mail' then 'returned mail' when 'wrong_number' then 'wrong number' else 'email bounced' end",
            "' since '", dbt.safe_cast('first_date', dbt.type_string()),
            "': check address and contact details'",
        ]) }} as reason,
        {{ dbt.concat(['guarantor_id', "'|'", 'kind']) }} as source_key,
        cast(null as {{ dbt.type_string() }}) as encounter_id
    from open_returns
),

-- new balances ----------------------------------------------------------------------------
new_balance as (
    select
        'new_balance' as queue,
        e.guarantor_id,
        case s.tier when 'high' then 1 when 'medium' then 2 else 3 end as priority,
        cast({{ dbt.dateadd('day', 'run.queues_new_balance_max_age_days', 'e.balance_date') }} as date)
            as due_date,
        {{ dbt.concat([
            "'new balance '", dbt.safe_cast('e.balance', dbt.type_string()),
            "' since '", dbt.safe_cast('e.balance_date', dbt.type_string()),
        ]) }} as reason,
        e.encounter_id as source_key,
        e.encounter_id
    from {{ ref('int_encounter_balances') }} as e
    cross join run
    inner join status as s on e.guarantor_id = s.guarantor_id and s.balance > 0
    where e.balance > 0
        and e.age_days >= 0
        and e.age_days < run.queues_new_balance_max_age_days
),

-- plans and follow-ups due this week ------------------------------------------------------
plan_calls as (
    select
        'plans_due' as queue,
        p.guarantor_id,
        1 as priority,
        p.call_due_date as due_date,
        {{ dbt.concat([
            "'missed installment '", dbt.safe_cast('p.latest_judged_installment', dbt.type_string()),
            "': call, then resume the plan'",
        ]) }} as reason,
        {{ dbt.concat([
            "'call|'", 'p.plan_id', "'|'", dbt.safe_cast('p.latest_judged_installment', dbt.type_string()),
        ]) }} as source_key,
        cast(null as {{ dbt.type_string() }}) as encounter_id
    from {{ ref('int_plan_status') }} as p
    where p.plan_state = 'paused' and p.call_due_date is not null
),

installments_due as (
    select
        'plans_due' as queue,
        i.guarantor_id,
        3 as priority,
        i.due_date,
        {{ dbt.concat([
            "'installment '", dbt.safe_cast('i.installment_number', dbt.type_string()),
            "' of '", dbt.safe_cast('i.installment_count', dbt.type_string()),
            "' due: '", dbt.safe_cast('i.amount_due', dbt.type_string()),
        ]) }} as reason,
        {{ dbt.concat(["'installment|'", 'i.installment_id']) }} as source_key,
        cast(null as {{ dbt.type_string() }}) as encounter_id
    from {{ ref('int_plan_installments') }} as i
    cross join run
    inner join {{ ref('int_plan_status') }} as ps on i.plan_id = ps.plan_id
    where i.is_scheduled
        and not i.is_covered
        and ps.plan_state in ('active', 'paused')
        and i.due_date >= run.as_of_date
        and i.due_date < run.window_end
),

promises_due as (
    select
        'plans_due' as queue,
        p.guarantor_id,
        case
            when p.kept = false then 1
            when p.promised_date <= run.as_of_date then 2
            else 3
        end as priority,
        p.promised_date as due_date,
        {{ dbt.concat([
            "case when p.kept = false then 'promise broken: ' else 'promise due: ' end",
            dbt.safe_cast('p.promised_amount', dbt.type_string()),
            "' by '", dbt.safe_cast('p.promised_date', dbt.type_string()),
        ]) }} as reason,
        {{ dbt.concat(["'promise|'", 'p.contact_id']) }} as source_key,
        cast(null as {{ dbt.type_string() }}) as encounter_id
    from {{ ref('int_promises') }} as p
    cross join run
    where (
        p.kept is null
        and not p.is_fulfilled
        and p.promised_date < run.window_end
    )
    or (
        p.kept = false
        and p.grace_end_date
        >= cast({{ dbt.dateadd('day', '-1 * run.queues_plans_due_within_days', 'run.as_of_date') }} as date)
    )
),

-- disputes --------------------------------------------------------------------------------
disputes_open as (
    select
        'disputes_open' as queue,
        d.guarantor_id,
        cast(row_number() over (order by d.opened_date, d.dispute_id) as integer) as priority,
        d.opened_date as due_date,
        {{ dbt.concat([
            "'dispute open '", dbt.safe_cast('d.age_days', dbt.type_string()), "' days'",
            "case when d.reason is null then '' else ': ' end",
            "coalesce(replace(d.reason, '_', ' '), '')",
        ]) }} as reason,
        d.dispute_id as source_key,
        d.encounter_id
    from {{ ref('int_dispute_status') }} as d
    where d.is_open
),

-- hardship --------------------------------------------------------------------------------
hardship_review as (
    select
        'hardship_review' as queue,
        h.guarantor_id,
        case h.hardship_state when 'pending' then 1 else 2 end as priority,
        case h.hardship_state when 'pending' then h.submitted_date else h.review_due_date end as due_date,
        case h.hardship_state
            when 'pending' then {{ dbt.concat([
                "'hardship application pending since '", dbt.safe_cast('h.submitted_date', dbt.type_string()),
            ]) }}
            else {{ dbt.concat([
                "'hardship support ends '", dbt.safe_cast('h.effective_support_end_date', dbt.type_string()),
                "': review and re-verify'",
            ]) }}
        end as reason,
        {{ dbt.concat(['h.application_id', "'|'", 'h.hardship_state']) }} as source_key,
        cast(null as {{ dbt.type_string() }}) as encounter_id
    from {{ ref('int_hardship_status') }} as h
    cross join run
    where h.hardship_state = 'pending'
        or (
            h.hardship_state = 'active'
            and h.review_due_date < run.window_end
        )
),

-- placement review ------------------------------------------------------------------------
placement_review as (
    select
        'placement_review' as queue,
        e.guarantor_id,
        case s.tier when 'high' then 1 when 'medium' then 2 else 3 end as priority,
        cast({{ dbt.dateadd('day', 'e.required_days_since_first_statement', 'e.first_statement_date') }} as date)
            as due_date,
        {{ dbt.concat([
            "'eligible for placement: '", dbt.safe_cast('e.balance', dbt.type_string()),
            "', '", dbt.safe_cast('e.documented_attempts', dbt.type_string()), "' attempts'",
        ]) }} as reason,
        e.guarantor_id as source_key,
        cast(null as {{ dbt.type_string() }}) as encounter_id
    from {{ ref('int_placement_checks') }} as e
    left join status as s on e.guarantor_id = s.guarantor_id
    where e.is_eligible
),

-- refunds ---------------------------------------------------------------------------------
refunds_due as (
    select
        'refunds_due' as queue,
        r.guarantor_id,
        case
            when r.due_date <= run.as_of_date or r.is_overcharge then 1
            when r.due_date < run.window_end then 2
            else 3
        end as priority,
        r.due_date,
        case
            when r.refund_amount > 0 then {{ dbt.concat([
                "'refund '", dbt.safe_cast('r.refund_amount', dbt.type_string()),
                "case when r.is_overcharge then ' (overcharge)' else '' end",
            ]) }}
            else {{ dbt.concat([
                "'apply credit '", dbt.safe_cast('r.applied_within_household', dbt.type_string()),
                "' within household'",
            ]) }}
        end as reason,
        r.guarantor_id as source_key,
        cast(null as {{ dbt.type_string() }}) as encounter_id
    from {{ ref('int_refund_items') }} as r
    cross join run
),

-- mini-audit ------------------------------------------------------------------------------
audit_ranked as (
    select
        s.guarantor_id,
        row_number() over (
            order by
                {{ dbt.hash(dbt.concat([
                    's.guarantor_id', "'|'", dbt.safe_cast('run.queues_audit_seed', dbt.type_string()),
                    "'|'", dbt.safe_cast('run.as_of_date', dbt.type_string()),
                ])) }},
                s.guarantor_id
        ) as draw_order
    from status as s
    cross join run
    where s.balance > 0
),

mini_audit as (
    select
        'mini_audit' as queue,
        a.guarantor_id,
        cast(a.draw_order as integer) as priority,
        run.as_of_date as due_date,
        'mini-audit: check balance, statement and contact history' as reason,
        {{ dbt.concat(['a.guarantor_id', "'|'", dbt.safe_cast('run.as_of_date', dbt.type_string())]) }} as source_key,
        cast(null as {{ dbt.type_string() }}) as encounter_id
    from audit_ranked as a
    cross join run
    where a.draw_order <= run.queues_audit_draw_size
),

items as (
    select * from returned_contact
    union all
    select * from new_balance
    union all
    select * from plan_calls
    union all
    select * from installments_due
    union all
    select * from promises_due
    union all
    select * from disputes_open
    union all
    select * from hardship_review
    union all
    select * from placement_review
    union all
    select * from refunds_due
    union all
    select * from mini_audit
)

select
    {{ dbt.hash(dbt.concat(['i.queue', "'|'", 'i.source_key'])) }} as item_id,
    i.queue,
    i.guarantor_id,
    cast(i.priority as integer) as priority,
    i.due_date,
    i.reason,
    i.source_key,
    i.encounter_id,
    run.as_of_date,
    run.policy_version
from items as i
cross join run

-- Every touch of the as-of date's plan plus the send ledger's history (docs/rules.md §4,
-- docs/outputs.md). Plan rows (is_planned_today): status due (leaves today), held (a
-- guardrail
-- holds it: hold_reason = the first rule of int_touch_holds, hold_rules = all of them), or
-- skipped (hold_reason = superseded or the channel block). due_date = the as-of date the
-- touch is planned for. Due touches carry the guarantor's time zone and the local contact
-- window (guardrails_contact_window_start/end) from which the sender computes
-- send_after/send_before. Ledger rows (is_planned_today false): every touch of the ledger
-- dated on or before the as-of date that is not in today's plan, with its status (sent,
-- delivered, failed, skipped); a `planned` row that is no longer in the plan (old episode,
-- balance paid) never left and is not a touch.
-- Segment moves and servicing touches (int_move_candidates) are rows like the cadence's:
-- their plan rows carry move_key (the subject that makes the touch unique: installment,
-- dispute, application, refund or episode), subject_id, move_amount and move_date; cadence
-- rows leave them null. channel `card` rows are plan card-on-file charges (fct_plan_charges).
with run as (select {{ as_of_date() }} as as_of_date),

policy as (select policy_version from {{ ref('stg_policy') }}),

candidates as (select * from {{ ref('int_touch_candidates') }}),

holds as (select * from {{ ref('int_touch_holds') }}),

guardrails as (select * from {{ ref('int_touch_guardrails') }}),

first_hold as (
    select
        touch_id,
        rule
    from (
        select
            touch_id,
            rule,
            row_number() over (partition by touch_id order by rule_priority) as rule_rank
        from holds
    ) as ranked
    where rule_rank = 1
),

hold_lists as (
    select
        touch_id,
        {{ dbt.listagg('rule', "','", 'order by rule_priority') }} as hold_rules
    from holds
    group by touch_id
),

plan as (
    select
        c.touch_id,
        c.guarantor_id,
        c.household_id,
        c.episode_start,
        c.step,
        c.step_order,
        c.channel,
        c.variant,
        run.as_of_date as due_date,
        case
            when c.plan_status = 'skipped' then 'skipped'
            when fh.touch_id is not null then 'held'
            else 'due'
        end as status,
        case when c.plan_status = 'skipped' then c.skip_reason else fh.rule end as hold_reason,
        hl.hold_rules,
        cast(null as {{ dbt.type_string() }}) as status_reason,
        cast(null as {{ dbt.type_timestamp() }}) as sent_at,
        c.step_day as cadence_day,
        c.age_days,
        c.step_reached_date,
        c.move_key,
        c.subject_id,
        c.move_amount,
        c.move_date,
        true as is_planned_today
    from candidates as c
    cross join run
    left join first_hold as fh on c.touch_id = fh.touch_id
    left join hold_lists as hl on c.touch_id = hl.touch_id
),

ledger as (
    select
        l.touch_id,
        l.guarantor_id,
        g.household_id,
        l.episode_start,
        l.step,
        cad.step_order,
        l.channel,
        cast(null as {{ dbt.type_string() }}) as variant,
        l.as_of_date as due_date,
        l.status,
        case when l.status = 'skipped' then l.status_reason end as hold_reason,
        cast(null as {{ dbt.type_string() }}) as hold_rules,
        l.status_reason,
        l.sent_at,
        cad.step_day as cadence_day,
        cast(null as {{ dbt.type_int() }}) as age_days,
        cast(null as date) as step_reached_date,
        cast(null as {{ dbt.type_string() }}) as move_key,
        cast(null as {{ dbt.type_string() }}) as subject_id,
        cast(null as decimal(18, 2)) as move_amount,
        cast(null as date) as move_date,
        false as is_planned_today
    from {{ ref('stg_send_ledger') }} as l
    cross join run
    left join {{ ref('stg_guarantors') }} as g on l.guarantor_id = g.guarantor_id
    left join {{ ref('stg_policy_cadence') }} as cad on l.step = cad.step
    where l.as_of_date <= run.as_of_date
        and l.status in ('sent', 'delivered', 'failed', 'skipped')
        and not exists (
            select 1 from plan as p
            where p.touch_id = l.touch_id
        )
),

touches as (
    select * from plan
    union all
    select * from ledger
)

select
    t.touch_id,
    t.guarantor_id,
    t.household_id,
    t.episode_start,
    t.step,
    t.step_order,
    t.channel,
    t.variant,
    t.due_date,
    t.status,
    t.hold_reason,
    t.hold_rules,
    t.status_reason,
    t.sent_at,
    t.cadence_day,
    t.age_days,
    t.step_reached_date,
    t.move_key,
    t.subject_id,
    t.move_amount,
    t.move_date,
    t.is_planned_today,
    case when t.status = 'due' then g.timezone end as timezone,
    case when t.status = 'due' then g.contact_window_start end as contact_window_start,
    case when t.status = 'due' then g.contact_window_end end as contact_window_end,
    run.as_of_date,
    policy.policy_version
from touches as t
cross join run
cross join policy
left join guardrails as g on t.guarantor_id = g.guarantor_id

-- The cadence steps due on the as-of date D for every open episode (docs/rules.md §4, docs/rules.md
-- "Cadence"), before
-- the holds. day = the guarantor's age (int_guarantor_balances.age_days). A step is due when
-- day ≥ its step_day (stg_policy_cadence) and the send ledger has no row for it in this
-- episode (guarantor, episode_start, step) with status sent, delivered, skipped or failed on
-- or before D (failed is final: the sender retries within a send and records the outcome;
-- a row still `planned` is not done, so the step stays due).
-- Resolution of the due steps of one guarantor:
--   1. a step whose channel is blocked (int_touch_guardrails.<channel>_block_reason) is
--      skipped with that reason;
--   2. of the others, the latest step (highest step_order) is the candidate (due, unless a
--      hold applies: int_touch_holds); the earlier ones are skipped as 'superseded' (catch-up:
--      a patient never gets a burst).
-- statement_2 carries variant 'plan_confirmation' when the guarantor has a plan in good
-- standing on D (int_plan_status: active by its installments, not by the export's status).
-- touch_id = hash(guarantor_id|episode_start|step): the same touch on every run.
-- Also the final-notice letters of nonprofit mode (int_final_notice_candidates), appended.
-- The segment moves and servicing touches (int_move_candidates: plan offers and reminders,
-- card-on-file charges, dispute review, hardship letters, refund confirmations) are added
-- below, so every hold, the ledger and the hold report treat them like cadence steps.
-- move_priority decides between one guarantor's touches of the day when the daily cap allows
-- one (int_touch_holds); cadence steps rank 7, after every move (int_move_candidates).
with run as (select {{ as_of_date() }} as as_of_date),

episodes as (select * from {{ ref('int_guarantor_episodes') }}),

guardrails as (select * from {{ ref('int_touch_guardrails') }}),

cadence as (select * from {{ ref('stg_policy_cadence') }}),

done as (
    select distinct
        l.guarantor_id,
        l.episode_start,
        l.step
    from {{ ref('stg_send_ledger') }} as l
    cross join run
    where l.status in ('sent', 'delivered', 'skipped', 'failed')
        and l.as_of_date <= run.as_of_date
),

due as (
    select
        e.guarantor_id,
        e.episode_start,
        e.age_days,
        e.oldest_open_balance_date,
        c.step_order,
        c.step_day,
        c.step,
        c.channel,
        case c.channel
            when 'sms' then g.sms_block_reason
            when 'email' then g.email_block_reason
            when 'mail' then g.mail_block_reason
            when 'phone' then g.phone_block_reason
        end as block_reason,
        g.household_id,
        g.has_plan_in_good_standing
    from episodes as e
    inner join cadence as c on e.age_days >= c.step_day
    inner join guardrails as g on e.guarantor_id = g.guarantor_id
    where not exists (
            select 1
            from done as d
            where d.guarantor_id = e.guarantor_id
                and d.episode_start = e.episode_start
                and d.step = c.step
        )
),

ranked as (
    select
        *,
        row_number() over (
            partition by guarantor_id
            order by case when block_reason is null then 0 else 1 end, step_order desc
        ) as pick
    from due
),

cadence_candidates as (
    select
    {{ dbt.hash(dbt.concat([
        'guarantor_id', "'|'", dbt.safe_cast('episode_start', dbt.type_string()), "'|'", 'step'
    ])) }} as touch_id,
        guarantor_id,
        household_id,
        episode_start,
        step,
        step_order,
        step_day,
        channel,
        case when step = 'statement_2' and has_plan_in_good_standing then 'plan_confirmation' end as variant,
        age_days,
        cast({{ dbt.dateadd('day', 'step_day', 'oldest_open_balance_date') }} as date)
            as step_reached_date,
        case
            when block_reason is not null then 'skipped'
            when pick = 1 then 'candidate'
            else 'skipped'
        end as plan_status,
        case
            when block_reason is not null then block_reason
            when pick = 1 then null
            else 'superseded'
        end as skip_reason,
        cast(null as {{ dbt.type_string() }}) as move_key,
        7 as move_priority,
        cast(null as {{ dbt.type_string() }}) as subject_id,
        cast(null as decimal(18, 2)) as move_amount,
        cast(null as date) as move_date
    from ranked
)

select * from cadence_candidates
union all
select
    touch_id,
    guarantor_id,
    household_id,
    episode_start,
    step,
    step_order,
    step_day,
    channel,
    variant,
    age_days,
    step_reached_date,
    plan_status,
    skip_reason,
    move_key,
    move_priority,
    subject_id,
    move_amount,
    move_date
from {{ ref('int_move_candidates') }}
union all
-- nonprofit mode: the 501(r) final-notice letters (int_final_notice_candidates), a cadence-rank
-- touch
select
    touch_id,
    guarantor_id,
    household_id,
    episode_start,
    step,
    step_order,
    step_day,
    channel,
    variant,
    age_days,
    step_reached_date,
    plan_status,
    skip_reason,
    cast(null as {{ dbt.type_string() }}) as move_key,
    7 as move_priority,
    cast(null as {{ dbt.type_string() }}) as subject_id,
    cast(null as decimal(18, 2)) as move_amount,
    cast(null as date) as move_date
from {{ ref('int_final_notice_candidates') }}

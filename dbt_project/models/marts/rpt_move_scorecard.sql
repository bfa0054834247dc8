-- The scorecard by touch kind (issue 9: every move counts like a cadence step): per scorecard
-- week (int_scorecard_weeks) and step (cadence steps, segment moves, and `contact_log` for
-- outreach logged outside the pipeline), the outreach touches of the week (the documented
-- attempts of int_outreach_attempts, the denominator of complaints per 1,000 contacts in
-- rpt_weekly_scorecard) and the complaints of the week attributed to the kind of the
-- guarantor's latest touch on or before the complaint (a complaint with no earlier touch is
-- attributed to `none`). Card-on-file charges are payments, not touches: not here.
with weeks as (select * from {{ ref('int_scorecard_weeks') }}),

attempts as (
    select
        attempt_id,
        guarantor_id,
        attempt_date,
        coalesce(step, 'contact_log') as step
    from {{ ref('int_outreach_attempts') }}
),

complaints as (
    select
        c.source_id as contact_id,
        c.guarantor_id,
        c.occurred_date
    from {{ ref('int_contact_events') }} as c
    where c.source = 'contact_log' and c.outcome = 'complaint'
),

latest_touch as (
    select
        c.contact_id,
        c.occurred_date,
        a.step,
        row_number() over (
            partition by c.contact_id order by a.attempt_date desc, a.attempt_id desc
        ) as touch_rank
    from complaints as c
    left join attempts as a
        on c.guarantor_id = a.guarantor_id and c.occurred_date >= a.attempt_date
),

facts as (
    select
        a.attempt_date as fact_date,
        a.step,
        1 as touches,
        0 as complaints
    from attempts as a
    union all
    select
        l.occurred_date,
        coalesce(l.step, 'none'),
        0,
        1
    from latest_touch as l
    where l.touch_rank = 1
),

weekly as (
    select
        w.week_ending,
        f.step,
        sum(f.touches) as touches,
        sum(f.complaints) as complaints
    from facts as f
    inner join weeks as w on f.fact_date between w.week_start and w.data_end_date
    group by w.week_ending, f.step
),

policy as (select policy_version from {{ ref('stg_policy') }})

select
    {{ dbt.hash(dbt.concat([dbt.safe_cast('w.week_ending', dbt.type_string()), "'|'", 'w.step'])) }}
        as move_week_id,
    w.week_ending,
    w.step,
    w.step in (
        'plan_offer', 'plan_reminder', 'dispute_review', 'hardship_application',
        'hardship_decision', 'hardship_review', 'refund_confirmation'
    ) as is_segment_move,
    w.touches,
    w.complaints,
    case when w.touches > 0 then 1000.0 * w.complaints / w.touches end as complaints_per_1000,
    {{ as_of_date() }} as as_of_date,
    policy.policy_version
from weekly as w
cross join policy

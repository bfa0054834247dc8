-- One row per guarantor with a balance ≠ 0 on the as-of date (OUTPUTS.md): balance, age,
-- tier and segment (DOMAIN.md §3; none for a credit), the open episode and its first
-- statement, and the guarantor-level holds of §4.
-- Tier: small < tiers_small_below ≤ medium < tiers_medium_below ≤ high.
-- Segment, first rule that matches (thresholds from stg_policy segments_*):
--   documentation_doubt: an open dispute, or a dispute_raised contact with
--     0 ≤ D − date ≤ dispute_contact_lookback_days and no dispute resolved on or after that
--     contact's date (and on or before D);
--   silent_aged: age ≥ silent_min_age_days and no response (int_guarantor_responses) with
--     0 ≤ D − date ≤ silent_no_response_days;
--   high_value_engaged: age in engaged_min/max_age_days, tier high, a response in the last
--     engaged_response_days;
--   early_stall: age in early_stall_min/max_age_days, tier small or medium, no payment posted
--     on or after the first statement date (and on or before D);
--   fresh: 0 ≤ age ≤ fresh_max_age_days; standard: everything else.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        p.*
    from {{ ref('stg_policy') }} as p
),
balances as (
    select * from {{ ref('int_guarantor_balances') }} where balance <> 0
),
guarantors as (select * from {{ ref('stg_guarantors') }}),
episodes as (select * from {{ ref('int_guarantor_episodes') }}),
first_statements as (select * from {{ ref('int_first_statements') }}),
guardrails as (select * from {{ ref('int_touch_guardrails') }}),
hardship as (select * from {{ ref('int_hardship_status') }}),
responses as (
    select guarantor_id, max(response_date) as last_response_date
    from {{ ref('int_guarantor_responses') }}
    group by guarantor_id
),
payments as (
    select t.guarantor_id, t.posted_date
    from {{ ref('stg_patient_transactions') }} as t
    cross join run
    where t.transaction_type = 'payment' and t.posted_date <= run.as_of_date
),
last_payments as (
    select guarantor_id, max(posted_date) as last_payment_date
    from payments
    group by guarantor_id
),
payments_since_first_statement as (
    select distinct p.guarantor_id
    from payments as p
    inner join first_statements as f on f.guarantor_id = p.guarantor_id
    where p.posted_date >= f.first_statement_date
),
dispute_contacts as (
    select distinct c.guarantor_id
    from {{ ref('stg_contact_log') }} as c
    cross join run
    where c.outcome = 'dispute_raised'
      and {{ days_between('c.occurred_date', 'run.as_of_date') }}
          between 0 and run.segments_dispute_contact_lookback_days
      and not exists (
          select 1
          from {{ ref('int_dispute_status') }} as d
          where d.guarantor_id = c.guarantor_id
            and d.resolved_date >= c.occurred_date
      )
),
base as (
    select
        b.guarantor_id,
        g.household_id,
        b.balance,
        b.age_days,
        case
            when b.balance <= 0 then null
            when b.balance < run.tiers_small_below then 'small'
            when b.balance < run.tiers_medium_below then 'medium'
            else 'high'
        end as tier,
        e.episode_start,
        f.first_statement_date,
        f.first_statement_source,
        r.last_response_date,
        lp.last_payment_date,
        gr.has_open_dispute,
        dc.guarantor_id is not null as has_recent_dispute_contact,
        gr.hardship_state,
        h.review_due_date as hardship_review_due_date,
        gr.is_deceased,
        gr.is_bankrupt,
        gr.is_placed,
        gr.has_active_plan,
        gr.is_on_hold,
        gr.hold_reasons,
        pf.guarantor_id is not null as has_payment_since_first_statement,
        {{ days_between('r.last_response_date', 'run.as_of_date') }} as days_since_response,
        run.as_of_date,
        run.policy_version,
        run.segments_silent_min_age_days,
        run.segments_silent_no_response_days,
        run.segments_engaged_min_age_days,
        run.segments_engaged_max_age_days,
        run.segments_engaged_response_days,
        run.segments_early_stall_min_age_days,
        run.segments_early_stall_max_age_days,
        run.segments_fresh_max_age_days
    from balances as b
    cross join run
    inner join guarantors as g on g.guarantor_id = b.guarantor_id
    left join episodes as e on e.guarantor_id = b.guarantor_id
    left join first_statements as f on f.guarantor_id = b.guarantor_id
    left join responses as r on r.guarantor_id = b.guarantor_id
    left join last_payments as lp on lp.guarantor_id = b.guarantor_id
    left join guardrails as gr on gr.guarantor_id = b.guarantor_id
    left join hardship as h on h.guarantor_id = b.guarantor_id
    left join dispute_contacts as dc on dc.guarantor_id = b.guarantor_id
    left join payments_since_first_statement as pf on pf.guarantor_id = b.guarantor_id
),
segmented as (
    select
        *,
        case
            when balance <= 0 then null
            when has_open_dispute or has_recent_dispute_contact then 'documentation_doubt'
            when age_days >= segments_silent_min_age_days
                and (days_since_response is null
                     or days_since_response > segments_silent_no_response_days)
                then 'silent_aged'
            when age_days between segments_engaged_min_age_days and segments_engaged_max_age_days
                and tier = 'high'
                and days_since_response between 0 and segments_engaged_response_days
                then 'high_value_engaged'
            when age_days between segments_early_stall_min_age_days
                    and segments_early_stall_max_age_days
                and tier in ('small', 'medium')
                and not has_payment_since_first_statement
                then 'early_stall'
            when age_days between 0 and segments_fresh_max_age_days then 'fresh'
            else 'standard'
        end as segment
    from base
)
select
    guarantor_id,
    household_id,
    {{ money('balance') }} as balance,
    age_days,
    tier,
    segment,
    case segment
        when 'documentation_doubt' then 'offer review, send a clear EOB summary'
        when 'silent_aged' then 'address check, then placement review'
        when 'high_value_engaged' then 'structured payment plan with dates'
        when 'early_stall' then 'one-page statement, call if unread'
        when 'fresh' then 'text reminder with quick-pay link'
        when 'standard' then 'continue the cadence'
    end as next_best_action,
    case segment
        when 'documentation_doubt' then 'reassuring, two-way email'
        when 'silent_aged' then 'neutral, documented attempts'
        when 'high_value_engaged' then 'collaborative, phone follow-up'
        when 'early_stall' then 'helpful, explain the benefits calculation'
        when 'fresh' then 'friendly, short, mobile first'
        when 'standard' then 'neutral'
    end as channel_and_tone,
    episode_start,
    first_statement_date,
    first_statement_source,
    coalesce(is_on_hold, false) as on_hold,
    hold_reasons,
    last_response_date,
    last_payment_date,
    coalesce(has_open_dispute, false) as has_open_dispute,
    coalesce(has_recent_dispute_contact, false) as has_recent_dispute_contact,
    coalesce(hardship_state, 'none') as hardship_state,
    hardship_review_due_date,
    coalesce(is_deceased, false) as is_deceased,
    coalesce(is_bankrupt, false) as is_bankrupt,
    coalesce(is_placed, false) as is_placed,
    coalesce(has_active_plan, false) as has_active_plan,
    has_payment_since_first_statement,
    as_of_date,
    policy_version
from segmented

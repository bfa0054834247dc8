-- One row per guarantor with a balance ≠ 0 on the as-of date (docs/outputs.md): balance and
-- age
-- (int_guarantor_balances), tier and segment (int_guarantor_segments on D, docs/rules.md §3; none
-- for
-- a credit), the open episode and its first statement, and the guarantor holds of §4
-- (int_protective_flags). docs/rules.md "Segments" and "Protective flags".
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        policy_version
    from {{ ref('stg_policy') }}
),

balances as (
    select * from {{ ref('int_guarantor_balances') }}
    where balance <> 0
),

guarantors as (select * from {{ ref('stg_guarantors') }}),

segments as (
    select * from {{ ref('int_guarantor_segments') }}
    where is_as_of_date
),

flags as (select * from {{ ref('int_protective_flags') }}),

plans as (
    select distinct guarantor_id from {{ ref('int_plan_status') }}
    where in_good_standing
),

responses as (
    select
        guarantor_id,
        max(response_date) as last_response_date
    from {{ ref('int_guarantor_responses') }}
    group by guarantor_id
),

segmented as (
    select
        b.guarantor_id,
        g.household_id,
        b.balance,
        b.age_days,
        s.tier,
        s.segment,
        s.episode_start,
        s.first_statement_date,
        s.first_statement_source,
        f.is_on_hold,
        f.hold_reasons,
        r.last_response_date,
        b.last_payment_date,
        f.has_open_dispute,
        s.has_recent_dispute_contact,
        f.hardship_state,
        f.hardship_review_due_date,
        f.is_deceased,
        f.is_bankrupt,
        f.is_placed,
        p.guarantor_id is not null as has_active_plan,
        s.has_payment_since_first_statement,
        run.as_of_date,
        run.policy_version
    from balances as b
    cross join run
    inner join guarantors as g on b.guarantor_id = g.guarantor_id
    left join segments as s on b.guarantor_id = s.guarantor_id
    left join flags as f on b.guarantor_id = f.guarantor_id
    left join plans as p on b.guarantor_id = p.guarantor_id
    left join responses as r on b.guarantor_id = r.guarantor_id
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

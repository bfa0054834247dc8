-- Why a candidate touch of the as-of date (int_touch_candidates, plan_status 'candidate') may
-- not leave today: one row per (touch, rule), docs/rules.md §4 "Guardrails".
-- rule_priority orders the rules;
-- the first is the touch's hold_reason. A held touch stays due on later days (nothing is
-- written to the ledger), until a later step supersedes it.
--   deceased, bankrupt, placed, open_dispute, hardship_active, hardship_pending: guarantor
--     holds (int_touch_guardrails);
--   stale_data: the patient_transactions data is older than guardrails_freshness_max_hours
--     (every touch);
--   changed_since_computed: a payment, plan or dispute dated after the as-of date;
--   quiet_hours: the local contact window (guardrails_contact_window_start/end) is empty or
--     invalid, or the guarantor has no time zone (12 CFR 1006.6(b)(1)(i));
--   contact_window_closed (sms, email, phone): the run started after today's contact window
--     of the guarantor closed (int_touch_guardrails.is_contact_window_closed): the touch is
--     deferred to the next day, in the hold report, never recorded as sent
--     (12 CFR 1006.6(b)(1)(i));
--   call_frequency (phone): calls in the 7 days ending on D already at
--     guardrails_calls_max_per_7_days, so one more would exceed it (12 CFR 1006.14(b)(2));
--   recent_conversation (phone): a conversation — any call, in or out, where the guarantor
--     was reached, whatever its outcome — within guardrails_days_after_connected_call days
--     (int_contact_events call_rest; 12 CFR 1006.14(b)(2));
--   guarantor_daily_cap: the ledger already has guardrails_touches_per_guarantor_per_day
--     touches of today handed off or attempted for the guarantor, or another of the guarantor's
-- touches of the day
--     (a cadence step and a move, int_move_candidates) wins: lowest move_priority, then
--     touch_id;
--   household_daily_cap: of the touches that pass every other rule, at most
--     guardrails_touches_per_household_per_day per household, counting touches the ledger
--     already sent today to the household; winner: oldest age, then guarantor_id.
-- Correspondence about the matter that holds the guarantor is what the hold allows
-- (docs/rules.md §4 "only dispute correspondence"): dispute_review is exempt from open_dispute;
-- hardship_application and hardship_decision from hardship_pending; hardship_review and
-- hardship_decision from hardship_active (macro hold_exempt_steps). A plan_charge (channel
-- card: a payment instruction, not a contact) takes every guarantor hold, stale_data and
-- changed_since_computed, but not
-- quiet hours, the call rules or the daily caps.
with policy as (
    select
        guardrails_touches_per_guarantor_per_day as guarantor_cap,
        guardrails_touches_per_household_per_day as household_cap
    from {{ ref('stg_policy') }}
),

candidates as (
    -- g.* carries guarantor_id (one column of that name: Spark refuses a duplicate)
    select
        c.touch_id,
        c.channel,
        c.age_days,
        c.step,
        c.move_priority,
        g.*
    from {{ ref('int_touch_candidates') }} as c
    inner join {{ ref('int_touch_guardrails') }} as g
        on c.guarantor_id = g.guarantor_id
    where c.plan_status = 'candidate'
),

rules as (
    select
        touch_id,
        'deceased' as rule,
        1 as rule_priority
    from candidates
    where is_deceased
    union all
    select
        touch_id,
        'bankrupt',
        2
    from candidates
    where is_bankrupt
    union all
    select
        touch_id,
        'placed',
        3
    from candidates
    where is_placed
    union all
    select
        touch_id,
        'open_dispute',
        4
    from candidates
    where has_open_dispute and step not in {{ hold_exempt_steps('open_dispute') }}
    union all
    select
        touch_id,
        'hardship_active',
        5
    from candidates
    where hardship_state = 'active' and step not in {{ hold_exempt_steps('hardship_active') }}
    union all
    select
        touch_id,
        'hardship_pending',
        6
    from candidates
    where hardship_state = 'pending' and step not in {{ hold_exempt_steps('hardship_pending') }}
    union all
    select
        touch_id,
        'stale_data',
        7
    from candidates
    where is_data_stale
    union all
    select
        touch_id,
        'changed_since_computed',
        8
    from candidates
    where has_change_since_computed
    union all
    select
        touch_id,
        'quiet_hours',
        9
    from candidates
    where (not is_contact_window_valid or timezone is null) and channel <> 'card'
    union all
    select
        touch_id,
        'contact_window_closed',
        10
    from candidates
    where is_contact_window_closed and channel in ('sms', 'email', 'phone')
    union all
    select
        touch_id,
        'call_frequency',
        11
    from candidates
    where channel = 'phone' and is_call_limit_reached
    union all
    select
        touch_id,
        'recent_conversation',
        12
    from candidates
    where channel = 'phone' and has_recent_conversation
    union all
    select
        c.touch_id,
        'guarantor_daily_cap',
        13
    from candidates as c
    cross join policy as p
    where c.touches_sent_today >= p.guarantor_cap and c.channel <> 'card'
),

guarantor_ranked as (
    select
        c.touch_id,
        c.touches_sent_today,
        row_number() over (
            partition by c.guarantor_id order by c.move_priority, c.touch_id
        ) as guarantor_rank
    from candidates as c
    where c.channel <> 'card'
        and not exists (
            select 1 from rules as r
            where r.touch_id = c.touch_id
        )
),

guarantor_rules as (
    select
        g.touch_id,
        'guarantor_daily_cap' as rule,
        13 as rule_priority
    from guarantor_ranked as g
    cross join policy as p
    where g.guarantor_rank + g.touches_sent_today > p.guarantor_cap
),

household_sent_today as (
    select
        household_id,
        sum(touches_sent_today) as sent_today
    from {{ ref('int_touch_guardrails') }}
    group by household_id
),

household_ranked as (
    select
        c.touch_id,
        c.household_id,
        row_number() over (
            partition by c.household_id
            order by c.age_days desc, c.guarantor_id asc, c.move_priority asc, c.touch_id asc
        ) as household_rank
    from candidates as c
    where c.channel <> 'card'
        and not exists (
            select 1 from rules as r
            where r.touch_id = c.touch_id
        )
        and not exists (
            select 1 from guarantor_rules as r
            where r.touch_id = c.touch_id
        )
),

household_rules as (
    select
        h.touch_id,
        'household_daily_cap' as rule,
        14 as rule_priority
    from household_ranked as h
    cross join policy as p
    left join household_sent_today as s on h.household_id = s.household_id
    where h.household_rank + coalesce(s.sent_today, 0) > p.household_cap
),

all_rules as (
    select
        touch_id,
        rule,
        rule_priority
    from rules
    union all
    select
        touch_id,
        rule,
        rule_priority
    from guarantor_rules
    union all
    select
        touch_id,
        rule,
        rule_priority
    from household_rules
),

citations as (
    select
        'quiet_hours' as rule,
        '12 CFR 1006.6(b)(1)(i)' as citation
    union all
    select
        'contact_window_closed',
        '12 CFR 1006.6(b)(1)(i)'
    union all
    select
        'call_frequency',
        '12 CFR 1006.14(b)(2)'
    union all
    select
        'recent_conversation',
        '12 CFR 1006.14(b)(2)'
)

select
    {{ dbt.concat(['r.touch_id', "':'", 'r.rule']) }} as hold_id,
    r.touch_id,
    r.rule,
    r.rule_priority,
    c.citation
from all_rules as r
left join citations as c on r.rule = c.rule

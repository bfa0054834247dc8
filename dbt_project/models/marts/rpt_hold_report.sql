-- "Why not sent" (docs/rules.md §4): one row per touch of the as-of date's plan that is due but
-- held. rule = the first rule that holds it (fct_touches.hold_reason), all_rules = every rule
-- that applies, citation = the regulation behind the rule where there is one.
with touches as (
    select * from {{ ref('fct_touches') }}
    where is_planned_today and status = 'held'
),

citations as (
    select distinct
        rule,
        citation
    from {{ ref('int_touch_holds') }}
)

select
    t.touch_id,
    t.guarantor_id,
    t.household_id,
    t.episode_start,
    t.step,
    t.channel,
    t.hold_reason as rule,
    c.citation,
    t.hold_rules as all_rules,
    t.as_of_date,
    t.policy_version
from touches as t
left join citations as c on t.hold_reason = c.rule

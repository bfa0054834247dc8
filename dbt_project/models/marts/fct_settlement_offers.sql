-- Settlement offers on the as-of date (DOMAIN.md §6): one row per guarantor who qualifies for a
-- settlement: balance > 0, age ≥ settlement_min_age_days, segment silent_aged, at least
-- settlement_min_documented_attempts documented attempts (fct_placement_eligibility), and
-- nothing that stops collection (no open dispute, no pending/active hardship, not deceased or
-- bankrupt, not with the agency).
-- The proposed offer is the largest discount staff can approve without escalation: the
-- max_discount_pct of the first approval level (level_order 1, the collector). approval_level
-- = the approver of the first level (by level_order) whose max_discount_pct covers the
-- discount, so a policy whose first level allows 0 % routes the offer to the next level.
with policy as (
    select policy_version, settlement_min_age_days, settlement_min_documented_attempts
    from {{ ref('stg_policy') }}
),
approval as (
    select a.level_order, a.max_discount_pct, a.approver
    from {{ source('raw', 'policy_settlement_approval') }} as a
    inner join policy as p on p.policy_version = a.policy_version
),
first_level as (
    select max_discount_pct as discount_pct
    from approval
    where level_order = (select min(level_order) from approval)
),
candidates as (
    select
        e.guarantor_id,
        e.balance,
        e.age_days,
        e.segment,
        e.documented_attempts,
        f.discount_pct
    from {{ ref('fct_placement_eligibility') }} as e
    cross join policy as p
    cross join first_level as f
    where e.balance > 0
      and e.age_days >= p.settlement_min_age_days
      and e.segment = 'silent_aged'
      and e.documented_attempts >= p.settlement_min_documented_attempts
      and not coalesce(e.has_open_dispute, false)
      and coalesce(e.hardship_state, 'none') not in ('pending', 'active')
      and not coalesce(e.is_deceased, false)
      and not coalesce(e.is_bankrupt, false)
      and not coalesce(e.is_placement_open, false)
),
levels as (
    select
        c.guarantor_id,
        a.approver,
        row_number() over (partition by c.guarantor_id order by a.level_order) as rank_in_guarantor
    from candidates as c
    inner join approval as a on a.max_discount_pct >= c.discount_pct
)
select
    c.guarantor_id,
    {{ money('c.balance') }} as balance,
    c.age_days,
    c.segment,
    c.documented_attempts,
    cast(c.discount_pct as decimal(5, 2)) as discount_pct,
    {{ money('c.balance * (100 - c.discount_pct) / 100') }} as offer_amount,
    l.approver as approval_level,
    {{ as_of_date() }} as as_of_date,
    p.policy_version
from candidates as c
cross join policy as p
left join levels as l on l.guarantor_id = c.guarantor_id and l.rank_in_guarantor = 1

-- Settlement offers on the as-of date (docs/rules.md §6): one row per guarantor who qualifies for a
-- settlement: balance > 0, age ≥ settlement_min_age_days, segment silent_aged, at least
-- settlement_min_documented_attempts documented attempts (fct_placement_eligibility), and
-- nothing that stops collection (no open dispute, no pending/active hardship, not deceased or
-- bankrupt, not with the agency).
-- The proposed offer is the largest discount staff can approve without escalation: the
-- max_discount_pct of the first approval level (int_settlement_approval_bands). approval_level
-- = the approver of the band that covers the discount (min_discount_pct < d ≤
-- max_discount_pct, or d = 0 and the first band): the rule that also tells who must sign a
-- deeper discount; next_approval_level / next_max_discount_pct name the escalation.
with policy as (
    select
        policy_version,
        settlement_min_age_days,
        settlement_min_documented_attempts
    from {{ ref('stg_policy') }}
),

bands as (select * from {{ ref('int_settlement_approval_bands') }}),

first_level as (
    select max_discount_pct as discount_pct from bands
    where is_first_level
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
        b.approver,
        b.level_order
    from candidates as c
    inner join bands as b
        on (c.discount_pct > b.min_discount_pct or (c.discount_pct = 0 and b.is_first_level))
            and c.discount_pct <= b.max_discount_pct
),

next_levels as (
    select
        l.guarantor_id,
        b.approver as next_approval_level,
        b.max_discount_pct as next_max_discount_pct,
        row_number() over (partition by l.guarantor_id order by b.level_order) as rank_in_guarantor
    from levels as l
    inner join bands as b on l.level_order < b.level_order
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
    n.next_approval_level,
    cast(n.next_max_discount_pct as decimal(5, 2)) as next_max_discount_pct,
    {{ as_of_date() }} as as_of_date,
    p.policy_version
from candidates as c
cross join policy as p
left join levels as l on c.guarantor_id = l.guarantor_id
left join next_levels as n on c.guarantor_id = n.guarantor_id and n.rank_in_guarantor = 1

-- Who may approve a settlement discount (docs/rules.md §6: ≤ 20 %: collector; ≤ 40 %: manager;
-- more: finance lead), from the policy's settlement.approval list: one band per level, in
-- level_order, covering discounts above the previous level's max_discount_pct (0 for the
-- first level, which also covers 0 %) up to its own. A discount d needs the approver of the
-- band with min_discount_pct < d ≤ max_discount_pct (or d = 0 and the first band).
with policy as (select policy_version from {{ ref('stg_policy') }}),

approval as (
    select
        a.level_order,
        cast(a.max_discount_pct as decimal(5, 2)) as max_discount_pct,
        a.approver
    from {{ ref('stg_policy_settlement_approval') }} as a
    inner join policy as p on a.policy_version = p.policy_version
)

select
    approver,
    level_order,
    cast(coalesce(lag(max_discount_pct) over (order by level_order), 0) as decimal(5, 2))
        as min_discount_pct,
    max_discount_pct,
    row_number() over (order by level_order) = 1 as is_first_level
from approval

-- The open encounter balances (> 0) of every guarantor with a balance > 0 on the as-of date
-- D: what a placement would carry (one placement-file row per encounter, docs/outputs.md),
-- with the
-- credit-bureau flag of docs/rules.md §8 "Placement". bureau_reportable per
-- encounter: its balance ≥ placement_bureau_min_balance and ≥ placement_bureau_min_days since its
-- balance date (the
-- national credit bureaus' medical-debt policy applies per collection account; a placed
-- encounter is one account).
with policy as (
    select
        placement_bureau_min_balance,
        placement_bureau_min_days
    from {{ ref('stg_policy') }}
),

guarantors as (
    select guarantor_id from {{ ref('int_guarantor_balances') }}
    where balance > 0
),

encounters as (
    select e.*
    from {{ ref('int_encounter_balances') }} as e
    inner join guarantors as g on e.guarantor_id = g.guarantor_id
    where e.balance > 0
)

select
    e.encounter_id,
    e.guarantor_id,
    e.service_date,
    e.balance,
    e.balance_date,
    e.age_days,
    e.balance >= p.placement_bureau_min_balance
    and e.age_days >= p.placement_bureau_min_days as is_bureau_reportable
from encounters as e
cross join policy as p

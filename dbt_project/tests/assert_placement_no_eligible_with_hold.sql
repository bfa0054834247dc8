-- docs/rules.md §8 "Placement": no guarantor is eligible for placement while a
-- dispute is open, hardship is pending or active, after death or a bankruptcy filing, with a
-- plan in good standing, placed before (any placement of the history, open or closed), or below
-- the minimum balance — checked against the sources of truth, not the flags of
-- int_placement_checks, so a wrong flag fails here.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        placement_min_balance
    from {{ ref('stg_policy') }}
),

eligible as (
    select * from {{ ref('fct_placement_eligibility') }}
    where eligible
)

select
    e.guarantor_id,
    'open_dispute' as violation
from eligible as e
inner join {{ ref('int_dispute_status') }} as d on e.guarantor_id = d.guarantor_id and d.is_open
union all
select
    e.guarantor_id,
    'hardship'
from eligible as e
inner join {{ ref('int_hardship_status') }} as h
    on e.guarantor_id = h.guarantor_id and h.hardship_state in ('pending', 'active')
union all
select
    e.guarantor_id,
    'deceased_or_bankrupt'
from eligible as e
cross join run
inner join {{ ref('stg_guarantors') }} as g on e.guarantor_id = g.guarantor_id
where g.deceased_date <= run.as_of_date or g.bankruptcy_filed_date <= run.as_of_date
union all
select
    e.guarantor_id,
    'plan_in_good_standing'
from eligible as e
inner join {{ ref('int_plan_status') }} as p on e.guarantor_id = p.guarantor_id and p.in_good_standing
union all
select
    e.guarantor_id,
    'placed_before'
from eligible as e
cross join run
inner join {{ ref('int_placement_history') }} as h
    on e.guarantor_id = h.guarantor_id and run.as_of_date > h.placed_date
union all
select
    e.guarantor_id,
    'below_min_balance'
from eligible as e
cross join run
where e.balance < run.placement_min_balance

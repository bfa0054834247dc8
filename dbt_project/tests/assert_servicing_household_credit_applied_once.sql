-- docs/rules.md §7: a household's open balances are shared among its credit holders, so the
-- credit applied within a household never exceeds the household's positive balances.
select
    household_id,
    sum(applied_within_household) as applied,
    max(household_open_balance) as pool
from {{ ref('fct_refund_items') }}
group by household_id
having sum(applied_within_household) > max(household_open_balance)

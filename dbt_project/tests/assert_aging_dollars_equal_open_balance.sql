-- Gate (docs/rules.md §2): the dollars over all aging buckets equal the total open patient
-- balance (Σ encounter balances > 0) exactly, to the cent. Returns a row when they differ.
with aging as (select coalesce(sum(dollars), 0) as dollars from {{ ref('rpt_aging') }}),

open_balance as (
    select coalesce(sum(balance), 0) as dollars
    from {{ ref('fct_encounter_balances') }}
    where balance > 0
)

select
    aging.dollars as aging_dollars,
    open_balance.dollars as open_dollars
from aging cross join open_balance
where aging.dollars <> open_balance.dollars

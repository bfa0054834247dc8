-- Plan length by guarantor balance from the policy (docs/rules.md §6): the first term whose
-- balance_below is above the balance applies; the last (balance_below null) applies above.
select
    policy_version,
    term_order,
    balance_below,
    max_payments
from {{ source('raw', 'policy_plan_terms') }}

{{ config(meta={'dagster': {'ref': {'name': 'int_promises'}}}) }}
-- docs/rules.md §6: a promise is judged only once promised_date + grace is before the as-of
-- date, and kept exactly when the money reaches the promised amount.
select *
from {{ ref('int_promises') }}
where (kept is not null and grace_end_date >= {{ as_of_date() }})
    or (kept and amount_paid < promised_amount)
    or (not kept and amount_paid >= promised_amount)

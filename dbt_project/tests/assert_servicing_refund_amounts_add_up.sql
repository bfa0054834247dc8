-- docs/rules.md §7: every refund item splits its credit exactly: refund_amount +
-- applied_within_household = credit_amount, no part negative, the credit positive, the due
-- date not before the credit began, the credit not after the as-of date.
select *
from {{ ref('fct_refund_items') }}
where credit_amount <= 0
    or refund_amount < 0
    or applied_within_household < 0
    or refund_amount + applied_within_household <> credit_amount
    or credit_since > as_of_date
    or due_date < credit_since

-- docs/rules.md §6: an installment is judged only once its grace has ended before the as-of date,
-- only while in force, and kept exactly when the money by its grace end covers it.
select *
from {{ ref('fct_plan_installments') }}
where (kept is not null and grace_end_date >= as_of_date)
    or (kept is not null and not is_scheduled)
    or (kept and amount_paid_by_grace <> amount_due)
    or (not kept and amount_paid_by_grace >= amount_due)
    or amount_paid_by_grace < 0
    or amount_paid_by_grace > amount_due
    or (is_due and due_date > as_of_date)

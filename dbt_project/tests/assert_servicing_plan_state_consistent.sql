-- docs/rules.md §6: a paused plan has a missed latest installment and a call due date; only
-- active plans are in good standing; counts add up.
select *
from {{ ref('int_plan_status') }}
where (plan_state = 'paused' and (call_due_date is null or latest_judged_kept is null or latest_judged_kept))
    or (plan_state <> 'paused' and call_due_date is not null)
    or (in_good_standing <> (plan_state = 'active'))
    or installments_kept + installments_missed > installments_due

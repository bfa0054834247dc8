-- One row per payment plan created by the as-of date, with its state on that date
-- (docs/rules.md §6: grace, then pause and call, then resume; N missed = defaulted).
-- plan_state, first rule that matches:
--   completed / cancelled: the export's status, in effect on the as-of date
--     (status_changed_date empty or on/before it);
--   defaulted: the export says so (in effect), or installments_missed >= the policy count;
--   paused: the latest judged installment was missed and the arrears are still unpaid
--     (plan money to date < cumulative due through that installment); paying the arrears
--     resumes the plan;
--   active: otherwise (including plans whose first installment is not judged yet).
with policy as (
    select
        plans_missed_installments_to_default,
        plans_call_within_days_after_miss
    from {{ ref('stg_policy') }}
),

plans as (
    select * from {{ ref('stg_payment_plans') }}
    where created_date <= {{ as_of_date() }}
),

installments as (
    select * from {{ ref('int_plan_installments') }}
),

counts as (
    select
        plan_id,
        count(*) as installments_scheduled,
        sum(case when is_due then 1 else 0 end) as installments_due,
        sum(case when kept then 1 else 0 end) as installments_kept,
        sum(case when not kept then 1 else 0 end) as installments_missed,
        max(case when kept is not null then installment_number end) as latest_judged_number,
        max(cumulative_due) as scheduled_total,
        max(cumulative_paid_to_date) as paid_to_date,
        min(computed_default_date) as computed_default_date
    from installments
    where is_scheduled
    group by plan_id
),

latest_judged as (
    select
        i.plan_id,
        i.installment_number,
        i.kept,
        i.grace_end_date,
        i.cumulative_due,
        i.cumulative_paid_to_date
    from installments as i
    inner join counts as c
        on i.plan_id = c.plan_id and i.installment_number = c.latest_judged_number
),

first_installment as (
    select
        plan_id,
        kept
    from installments
    where installment_number = 1
),

upcoming as (
    select
        plan_id,
        min(due_date) as next_due_date
    from installments
    where is_scheduled and due_date >= {{ as_of_date() }} and not is_covered
    group by plan_id
),

stated as (
    select
        p.plan_id,
        p.guarantor_id,
        p.status,
        p.status_changed_date,
        p.created_date,
        p.frequency,
        p.installment_count,
        p.status is not null
        and (p.status_changed_date is null or p.status_changed_date <= {{ as_of_date() }})
            as is_export_status_in_effect,
        coalesce(c.installments_due, 0) as installments_due,
        coalesce(c.installments_kept, 0) as installments_kept,
        coalesce(c.installments_missed, 0) as installments_missed,
        c.scheduled_total,
        c.paid_to_date,
        c.computed_default_date,
        lj.installment_number as latest_judged_installment,
        lj.kept as latest_judged_kept,
        lj.grace_end_date as latest_judged_grace_end_date,
        coalesce(lj.cumulative_paid_to_date < lj.cumulative_due, false) as has_arrears,
        fi.kept as first_installment_kept,
        u.next_due_date,
        policy.plans_missed_installments_to_default,
        policy.plans_call_within_days_after_miss
    from plans as p
    cross join policy
    left join counts as c on p.plan_id = c.plan_id
    left join latest_judged as lj on p.plan_id = lj.plan_id
    left join first_installment as fi on p.plan_id = fi.plan_id
    left join upcoming as u on p.plan_id = u.plan_id
),

states as (
    select
        *,
        case
            when is_export_status_in_effect and status in ('completed', 'cancelled') then status
            when is_export_status_in_effect and status = 'defaulted' then 'defaulted'
            when installments_missed >= plans_missed_installments_to_default then 'defaulted'
            when latest_judged_kept = false and has_arrears then 'paused'
            else 'active'
        end as plan_state
    from stated
)

select
    plan_id,
    guarantor_id,
    status,
    status_changed_date,
    created_date,
    frequency,
    installment_count,
    plan_state,
    plan_state = 'active' as in_good_standing,
    installments_due,
    installments_kept,
    installments_missed,
    first_installment_kept,
    latest_judged_installment,
    latest_judged_kept,
    case when plan_state in ('active', 'paused') then next_due_date end as next_due_date,
    case
        when plan_state = 'paused'
            then cast(
                    {{ dbt.dateadd('day', 'plans_call_within_days_after_miss', 'latest_judged_grace_end_date') }}
                    as date
                )
    end as call_due_date,
    case
        when plan_state = 'defaulted' and is_export_status_in_effect and status = 'defaulted'
            then coalesce(status_changed_date, computed_default_date)
        when plan_state = 'defaulted' then computed_default_date
    end as defaulted_date,
    {{ money('coalesce(scheduled_total, 0)') }} as scheduled_total,
    {{ money('coalesce(paid_to_date, 0)') }} as paid_to_date,
    coalesce(paid_to_date >= scheduled_total, false) as is_paid_in_full
from states

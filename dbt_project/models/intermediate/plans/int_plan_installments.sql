-- One row per installment of every payment plan created by the as-of date (docs/rules.md §6).
-- Installment k (0-based) is due first_due_date + k × frequency (monthly: k months, biweekly:
-- 14k days, weekly: 7k days). amount_due = installment_amount; the last installment takes the
-- remainder total_amount − (count − 1) × installment_amount when total_amount is given.
--
-- Money toward a plan = payments carrying its plan_id, net of payment_reversals carrying it.
-- cumulative_paid_by_grace = that money posted on or before min(grace_end_date, as-of);
-- amount_paid_by_grace = the part of it left for this installment after the earlier ones'
-- cumulative schedule, between 0 and amount_due. The installment is kept when
-- cumulative_paid_by_grace >= cumulative_due (so amount_paid_by_grace = amount_due); judged
-- only once its grace has ended before the as-of date (kept is null until then).
--
-- An installment is in force (is_scheduled) unless it falls due after the plan ended: the
-- export's completed / cancelled / defaulted status in effect on the as-of date (ended on
-- status_changed_date, or the as-of date when that is empty), or the computed default (the
-- grace end of the installment whose miss reached plans_missed_installments_to_default).
with policy as (
    select
        plans_grace_days,
        plans_missed_installments_to_default
    from {{ ref('stg_policy') }}
),

plans_raw as (
    select *
    from {{ ref('stg_payment_plans') }}
    where created_date <= {{ as_of_date() }}
        and first_due_date is not null
        and (installment_amount is not null or total_amount is not null)
        and (installment_count is not null or (installment_amount > 0 and total_amount is not null))
),

plans as (
    select
        plan_id,
        guarantor_id,
        first_due_date,
        -- an export without a frequency is read as monthly (the usual plan)
        coalesce(frequency, 'monthly') as frequency,
        total_amount,
        installment_amount as exported_installment_amount,
        coalesce(
            installment_count,
            cast(ceiling(total_amount / installment_amount) as integer)
        ) as installment_count,
        -- the export's terminal status, when in effect on the as-of date, ends the schedule
        case
            when status in ('completed', 'cancelled', 'defaulted')
                and (status_changed_date is null or status_changed_date <= {{ as_of_date() }})
                then coalesce(status_changed_date, {{ as_of_date() }})
        end as export_end_date
    from plans_raw
),

plans_sized as (
    select
        plans.*,
        coalesce(
            plans.exported_installment_amount,
            cast(floor(100 * plans.total_amount / plans.installment_count) / 100 as decimal(18, 2))
        ) as installment_amount
    from plans
),

schedule as (
    select
        p.plan_id,
        p.guarantor_id,
        p.frequency,
        p.installment_count,
        p.export_end_date,
        seq.num + 1 as installment_number,
        cast(
            case p.frequency
                when 'biweekly' then {{ dbt.dateadd('day', '14 * seq.num', 'p.first_due_date') }}
                when 'weekly' then {{ dbt.dateadd('day', '7 * seq.num', 'p.first_due_date') }}
                else {{ dbt.dateadd('month', 'seq.num', 'p.first_due_date') }}
            end as date
        ) as due_date,
        case
            when seq.num = p.installment_count - 1 and p.total_amount is not null
                then p.total_amount - (p.installment_count - 1) * p.installment_amount
            else p.installment_amount
        end as amount_due
    from plans_sized as p
    inner join {{ numbers(1000) }} as seq on p.installment_count > seq.num
),

scheduled as (
    select
        s.*,
        sum(s.amount_due) over (
            partition by s.plan_id order by s.installment_number
            rows between unbounded preceding and current row
        ) as cumulative_due,
        cast({{ dbt.dateadd('day', 'policy.plans_grace_days', 's.due_date') }} as date) as grace_end_date
    from schedule as s
    cross join policy
),

plan_money as (
    select
        plan_id,
        posted_date,
        case when transaction_type = 'payment' then amount else -amount end as amount
    from {{ ref('stg_patient_transactions') }}
    where plan_id is not null
        and transaction_type in ('payment', 'payment_reversal')
        and posted_date <= {{ as_of_date() }}
),

paid as (
    select
        s.plan_id,
        s.installment_number,
        coalesce(sum(case when m.posted_date <= s.grace_end_date then m.amount end), 0)
            as cumulative_paid_by_grace,
        coalesce(sum(m.amount), 0) as cumulative_paid_to_date
    from scheduled as s
    left join plan_money as m on s.plan_id = m.plan_id
    group by s.plan_id, s.installment_number
),

judged as (
    select
        s.*,
        p.cumulative_paid_by_grace,
        p.cumulative_paid_to_date,
        s.cumulative_due - s.amount_due as earlier_cumulative_due,
        -- judged: grace over before the as-of date, and due while the export had not ended it
        s.grace_end_date < {{ as_of_date() }}
        and (s.export_end_date is null or s.due_date <= s.export_end_date) as is_judged
    from scheduled as s
    inner join paid as p
        on s.plan_id = p.plan_id and s.installment_number = p.installment_number
),

missed_running as (
    select
        j.*,
        sum(case when j.is_judged and j.cumulative_paid_by_grace < j.cumulative_due then 1 else 0 end)
            over (
                partition by j.plan_id order by j.installment_number
                rows between unbounded preceding and current row
            ) as missed_through_here
    from judged as j
),

default_point as (
    -- the computed default: the first installment whose miss reaches the policy count
    select
        m.plan_id,
        min(m.grace_end_date) as computed_default_date
    from missed_running as m
    cross join policy
    where m.missed_through_here >= policy.plans_missed_installments_to_default
        and m.is_judged
        and m.cumulative_paid_by_grace < m.cumulative_due
    group by m.plan_id
),

final as (
    select
        m.*,
        d.computed_default_date,
        (m.export_end_date is null or m.due_date <= m.export_end_date)
        and (d.computed_default_date is null or m.due_date <= d.computed_default_date)
            as is_scheduled
    from missed_running as m
    left join default_point as d on m.plan_id = d.plan_id
)

select
    {{ dbt.concat(['plan_id', "'-'", 'cast(installment_number as ' ~ dbt.type_string() ~ ')']) }}
        as installment_id,
    plan_id,
    guarantor_id,
    installment_number,
    installment_count,
    frequency,
    due_date,
    {{ money('amount_due') }} as amount_due,
    {{ money('cumulative_due') }} as cumulative_due,
    grace_end_date,
    {{ money('cumulative_paid_by_grace') }} as cumulative_paid_by_grace,
    {{ money(
        'case when cumulative_paid_by_grace <= earlier_cumulative_due then 0'
        ~ ' when cumulative_paid_by_grace >= cumulative_due then amount_due'
        ~ ' else cumulative_paid_by_grace - earlier_cumulative_due end'
    ) }} as amount_paid_by_grace,
    {{ money('cumulative_paid_to_date') }} as cumulative_paid_to_date,
    cumulative_paid_to_date >= cumulative_due as is_covered,
    case
        when not is_scheduled or not is_judged then null
        when cumulative_paid_by_grace >= cumulative_due then true
        else false
    end as kept,
    is_scheduled,
    is_scheduled and due_date <= {{ as_of_date() }} as is_due,
    export_end_date,
    computed_default_date
from final

-- The plan calculator (docs/rules.md §6, policy `plans`): for every guarantor with a balance > 0
-- on the as-of date D, the structured plan the clinic offers, with its dates spelled out.
--   qualification: balance ≥ plans_min_balance and no plan in force (active or paused);
--     not_qualified_reason = below_min_balance | plan_in_force;
--   term by balance: max_payments of the first policy term whose balance_below is above the
--     balance (the last term, balance_below null, applies above);
--   offered_payments = least(max_payments, plans_manager_approval_above_payments): the plan
--     staff and letters offer without approval; needs_manager_approval = max_payments is
--     above that (a longer plan, up to max_payments, may be agreed with a manager's approval);
--   installments on plans_installment_day of each month: the first is the first such day on
--     or after D + plans_first_installment_min_days; installment_amount = the balance ÷
--     offered_payments rounded down to the cent, the last installment takes the remainder
--     (so the installments add up to the balance exactly).
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        plans_min_balance as min_balance,
        plans_manager_approval_above_payments as approval_above,
        plans_installment_day as installment_day,
        plans_first_installment_min_days as first_min_days
    from {{ ref('stg_policy') }}
),

balances as (
    select
        guarantor_id,
        balance
    from {{ ref('int_guarantor_balances') }}
    where balance > 0
),

terms as (
    select
        b.guarantor_id,
        t.max_payments,
        row_number() over (partition by b.guarantor_id order by t.term_order) as term_rank
    from balances as b
    inner join {{ ref('stg_policy_plan_terms') }} as t
        on t.balance_below is null or b.balance < t.balance_below
),

in_force as (
    select distinct guarantor_id
    from {{ ref('int_plan_status') }}
    where plan_state in ('active', 'paused')
),

earliest as (
    select
        run.*,
        cast({{ dbt.dateadd('day', 'run.first_min_days', 'run.as_of_date') }} as date) as earliest_date
    from run
),

first_day as (
    select
        e.*,
        cast({{ dbt.dateadd(
            'day', 'e.installment_day - 1',
            'cast(' ~ dbt.date_trunc('month', 'e.earliest_date') ~ ' as date)'
        ) }} as date) as day_in_month
    from earliest as e
),

first_due as (
    select
        f.*,
        case
            when f.day_in_month >= f.earliest_date then f.day_in_month
            else cast({{ dbt.dateadd('month', 1, 'f.day_in_month') }} as date)
        end as first_due_date
    from first_day as f
),

offers as (
    select
        b.guarantor_id,
        b.balance,
        t.max_payments,
        case when t.max_payments < r.approval_above then t.max_payments else r.approval_above end
            as offered_payments,
        t.max_payments > r.approval_above as needs_manager_approval,
        r.installment_day,
        r.first_due_date,
        r.min_balance,
        p.guarantor_id is not null as has_plan_in_force,
        r.as_of_date
    from balances as b
    cross join first_due as r
    inner join terms as t on b.guarantor_id = t.guarantor_id and t.term_rank = 1
    left join in_force as p on b.guarantor_id = p.guarantor_id
),

sized as (
    select
        o.*,
        cast(floor(100 * o.balance / o.offered_payments) / 100 as decimal(18, 2))
            as installment_amount
    from offers as o
)

select
    guarantor_id,
    {{ money('balance') }} as balance,
    balance >= min_balance and not has_plan_in_force as is_qualified,
    case
        when balance < min_balance then 'below_min_balance'
        when has_plan_in_force then 'plan_in_force'
    end as not_qualified_reason,
    max_payments,
    offered_payments,
    needs_manager_approval,
    installment_day,
    first_due_date,
    cast({{ dbt.dateadd('month', 'offered_payments - 1', 'first_due_date') }} as date)
        as last_due_date,
    {{ money('installment_amount') }} as installment_amount,
    {{ money('balance - (offered_payments - 1) * installment_amount') }} as last_installment_amount,
    as_of_date
from sized

-- One refund work item per guarantor with a credit (balance < 0) on the as-of date
-- (docs/rules.md §7 "Refunds"). credit_amount = −balance: the guarantor's net credit, already net
-- of their
-- own open encounter balances (own_open_balance_offset shows that part of the gross
-- encounter-level credit, a transfer between the guarantor's encounters). The credit then goes
-- to the positive balances of the other members of the household: each household's open
-- balances form one pool, shared among its credit holders in guarantor_id order, so a dollar
-- is never applied twice (applied_within_household). refund_amount is what is left.
-- credit_since: the day the guarantor's running balance (the balance ledger) last went below
-- zero; credit_age_days = D − credit_since.
-- is_overcharge: an adjustment or payment with reason 'overcharge' that made or is part of the
-- credit (posted on or after credit_since, or on an encounter whose balance is below zero).
-- Due date: an overcharge with refunds_overcharge_same_day is due the day the credit arose
-- (credit_since); any other credit is picked up by the first weekly sweep (policy weekday) on
-- or after credit_since and is due refunds_due_business_days business days later (Mon–Fri,
-- US federal holidays skipped). Both are fixed dates, so an item left unpaid becomes overdue.
with policy as (
    select
        policy_version,
        lower(refunds_sweep_weekday) as sweep_weekday,
        refunds_due_business_days,
        refunds_overcharge_same_day
    from {{ ref('stg_policy') }}
),

members as (
    select
        b.guarantor_id,
        coalesce(g.household_id, b.guarantor_id) as household_id,
        b.balance,
        b.open_encounter_balance
    from {{ ref('int_guarantor_balances') }} as b
    left join {{ ref('stg_guarantors') }} as g on b.guarantor_id = g.guarantor_id
),

credits as (
    select
        guarantor_id,
        household_id,
        -balance as credit_amount,
        open_encounter_balance
    from members
    where balance < 0
),

household_open as (
    select
        household_id,
        sum(balance) as household_open_balance
    from members
    where balance > 0
    group by household_id
),

allocation as (
    select
        c.*,
        coalesce(h.household_open_balance, 0) as pool,
        sum(c.credit_amount) over (
            partition by c.household_id order by c.guarantor_id
            rows between unbounded preceding and current row
        ) as cumulative_credit
    from credits as c
    left join household_open as h on c.household_id = h.household_id
),

allocated as (
    select
        *,
        case when cumulative_credit <= pool then cumulative_credit else pool end
        - case
            when cumulative_credit - credit_amount <= pool then cumulative_credit - credit_amount
            else pool
        end as applied_within_household
    from allocation
),

-- credit_since: the last day (≤ D) the guarantor's running balance of the balance ledger went
-- from ≥ 0 to < 0 (the ledger's one posting-date rule: a copay on an insurance-pending visit
-- counts from its adjudication)
ledger as (
    select l.*
    from {{ ref('int_balance_ledger') }} as l
    where l.effective_date <= {{ as_of_date() }}
        and l.guarantor_id in (select credits.guarantor_id from credits)
),

credit_start as (
    select
        guarantor_id,
        max(effective_date) as credit_since
    from ledger
    where guarantor_balance_after < 0 and guarantor_balance_after - guarantor_day_net >= 0
    group by guarantor_id
),

overcharges as (
    select distinct l.guarantor_id
    from ledger as l
    inner join credit_start as s on l.guarantor_id = s.guarantor_id
    left join {{ ref('int_encounter_balances') }} as e on l.encounter_id = e.encounter_id
    where l.reason = 'overcharge'
        and l.event_kind in ('adjustment', 'payment')
        and (l.effective_date >= s.credit_since or e.balance < 0)
),

calendar as (
    select * from {{ ref('int_business_days') }}
),

calendar_start as (
    select min(calendar_date) as first_date from calendar
),

items as (
    select
        a.guarantor_id,
        a.household_id,
        a.credit_amount,
        a.open_encounter_balance as own_open_balance_offset,
        a.pool as household_open_balance,
        a.applied_within_household,
        s.credit_since,
        o.guarantor_id is not null as is_overcharge
    from allocated as a
    left join credit_start as s on a.guarantor_id = s.guarantor_id
    left join overcharges as o on a.guarantor_id = o.guarantor_id
),

sweeps as (
    select
        i.guarantor_id,
        min(cal.calendar_date) as sweep_date
    from items as i
    cross join policy
    cross join calendar_start as cs
    inner join calendar as cal
        on policy.sweep_weekday = cal.weekday_name
            and cal.calendar_date >= case when i.credit_since < cs.first_date then cs.first_date else i.credit_since end
    group by i.guarantor_id
),

sweep_due as (
    select
        s.guarantor_id,
        s.sweep_date,
        min(due.calendar_date) as business_due_date
    from sweeps as s
    cross join policy
    inner join calendar as sweep_day on s.sweep_date = sweep_day.calendar_date
    inner join calendar as due
        on due.is_business_day
            and s.sweep_date <= due.calendar_date
            and due.business_day_seq >= sweep_day.business_day_seq + policy.refunds_due_business_days
    group by s.guarantor_id, s.sweep_date
),

dated as (
    select
        i.*,
        sd.sweep_date,
        case
            when i.is_overcharge and policy.refunds_overcharge_same_day then i.credit_since
            else sd.business_due_date
        end as due_date,
        policy.policy_version
    from items as i
    cross join policy
    left join sweep_due as sd on i.guarantor_id = sd.guarantor_id
)

select
    guarantor_id,
    household_id,
    {{ money('credit_amount') }} as credit_amount,
    {{ money('credit_amount + own_open_balance_offset') }} as gross_credit_amount,
    {{ money('own_open_balance_offset') }} as own_open_balance_offset,
    {{ money('household_open_balance') }} as household_open_balance,
    {{ money('applied_within_household') }} as applied_within_household,
    {{ money('credit_amount - applied_within_household') }} as refund_amount,
    credit_since,
    {{ days_between('credit_since', as_of_date()) }} as credit_age_days,
    is_overcharge,
    sweep_date,
    due_date,
    due_date < {{ as_of_date() }} as is_overdue,
    {{ as_of_date() }} as as_of_date,
    policy_version
from dated

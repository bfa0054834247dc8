-- The cumulative patient-pay yield of each monthly cohort (docs/rules.md §10 "and the cumulative
-- yield of each monthly cohort"; docs/rules.md "Scorecard"): a cohort is the patient
-- responsibility that became due in one calendar month (balance date in the month, as known
-- on the as-of date D). For each cohort of the cohort_months() (12) months ending with D's
-- month and each scorecard week (int_scorecard_weeks) ending on or after the cohort's first
-- day: paid = payments − payment reversals on the cohort's encounters effective (balance
-- ledger: a copay taken before the adjudication counts from it) through the week's last day
-- with data, cumulative_yield = paid ÷ responsibility. One row per (cohort_month,
-- week_ending); the latest week is the cohort's yield to date. No identifiers.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        policy_version
    from {{ ref('stg_policy') }}
),

first_cohort as (
    select cast({{ dbt.dateadd('month', '-' ~ (cohort_months() | int - 1),
                 'cast(' ~ dbt.date_trunc('month', 'as_of_date') ~ ' as date)') }} as date) as first_month
    from run
),

ledger as (
    select l.*
    from {{ ref('int_balance_ledger') }} as l
    cross join run
    where l.effective_date <= run.as_of_date and l.encounter_id is not null
),

charges as (
    select
        l.encounter_id,
        cast({{ dbt.date_trunc('month', 'l.balance_date') }} as date) as cohort_month,
        l.amount as responsibility
    from ledger as l
    cross join first_cohort as f
    where l.event_kind = 'charge'
        and l.balance_date >= f.first_month
),

cohorts as (
    select
        cohort_month,
        sum(responsibility) as responsibility,
        count(*) as encounters
    from charges
    group by cohort_month
),

payments as (
    select
        c.cohort_month,
        l.effective_date,
        -l.amount as amount
    from ledger as l
    inner join charges as c on l.encounter_id = c.encounter_id
    where l.event_kind in ('payment', 'payment_reversal')
),

weeks as (select * from {{ ref('int_scorecard_weeks') }}),

grid as (
    select
        c.cohort_month,
        c.responsibility,
        c.encounters,
        w.week_ending,
        w.week_start,
        w.data_end_date,
        w.is_complete
    from cohorts as c
    inner join weeks as w on c.cohort_month <= w.week_ending
),

paid as (
    select
        g.cohort_month,
        g.week_ending,
        sum(p.amount) as paid
    from grid as g
    inner join payments as p
        on g.cohort_month = p.cohort_month and g.data_end_date >= p.effective_date
    group by g.cohort_month, g.week_ending
)

select
    {{ dbt.concat([dbt.safe_cast('g.cohort_month', dbt.type_string()), "'|'",
                   dbt.safe_cast('g.week_ending', dbt.type_string())]) }} as cohort_week_id,
    g.cohort_month,
    g.week_ending,
    g.week_start,
    g.is_complete as is_complete_week,
    g.encounters,
    {{ money('g.responsibility') }} as responsibility,
    {{ money('coalesce(p.paid, 0)') }} as paid,
    cast(
        case when g.responsibility <> 0 then coalesce(p.paid, 0) / g.responsibility end
        as {{ dbt.type_numeric() }}
    ) as cumulative_yield,
    run.as_of_date,
    run.policy_version
from grid as g
cross join run
left join paid as p on g.cohort_month = p.cohort_month and g.week_ending = p.week_ending

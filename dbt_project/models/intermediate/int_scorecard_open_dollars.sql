-- Open patient dollars per guarantor at the start of each scorecard week and of each week's
-- trailing window (DOMAIN.md §10 "open dollars at the week's start"): the positive encounter
-- balances (the aging's open A/R, §2) at the end of the day before cutoff_date, rebuilt from
-- dated events: an encounter counts once its balance date is before the cutoff (its patient
-- responsibility as known on the as-of date), less its postings dated before the cutoff.
-- One row per (cutoff_date, guarantor) with open_dollars > 0.
with weeks as (select * from {{ ref('int_scorecard_weeks') }}),
cutoffs as (
    select week_start as cutoff_date from weeks
    union
    select trailing_start_date from weeks
),
encounters as (
    select encounter_id, guarantor_id, patient_responsibility, balance_date
    from {{ ref('fct_encounter_balances') }}
),
postings as (
    select t.encounter_id, t.posted_date, t.balance_effect
    from {{ ref('stg_patient_transactions') }} as t
    inner join encounters as e on e.encounter_id = t.encounter_id
    where t.posted_date <= {{ as_of_date() }}
),
posted_before as (
    select c.cutoff_date, p.encounter_id, sum(p.balance_effect) as posted
    from cutoffs as c
    inner join postings as p on p.posted_date < c.cutoff_date
    group by c.cutoff_date, p.encounter_id
),
balances as (
    select
        c.cutoff_date,
        e.guarantor_id,
        e.patient_responsibility + coalesce(pb.posted, 0) as balance
    from cutoffs as c
    inner join encounters as e on e.balance_date < c.cutoff_date
    left join posted_before as pb
        on pb.cutoff_date = c.cutoff_date and pb.encounter_id = e.encounter_id
)
select
    {{ dbt.concat([dbt.safe_cast('cutoff_date', dbt.type_string()), "'|'", 'guarantor_id']) }} as open_dollars_id,
    cutoff_date,
    guarantor_id,
    {{ money('sum(balance)') }} as open_dollars
from balances
where balance > 0
group by cutoff_date, guarantor_id

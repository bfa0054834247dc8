-- Open patient dollars per guarantor at the start of each scorecard week and of each week's
-- trailing window (docs/rules.md §10 "open dollars at the week's start"; docs/rules.md
-- "Scorecard"):
-- the positive encounter balances (the aging's open A/R, §2) at the end of the day before
-- cutoff_date, from the balance ledger's running encounter balances.
-- One row per (cutoff_date, guarantor) with open_dollars > 0.
with weeks as (select * from {{ ref('int_scorecard_weeks') }}),

cutoffs as (
    select week_start as cutoff_date from weeks
    union
    select trailing_start_date from weeks
),

balances as (
    select distinct
        c.cutoff_date,
        l.guarantor_id,
        l.encounter_id,
        l.encounter_balance_after as balance
    from {{ ref('int_balance_ledger') }} as l
    inner join cutoffs as c
        on {{ balance_on('l', 'encounter', 'cast(' ~ dbt.dateadd('day', -1, 'c.cutoff_date') ~ ' as date)') }}
    where l.encounter_id is not null
)

select
    {{ dbt.concat([dbt.safe_cast('cutoff_date', dbt.type_string()), "'|'", 'guarantor_id']) }} as open_dollars_id,
    cutoff_date,
    guarantor_id,
    {{ money('sum(balance)') }} as open_dollars
from balances
where balance > 0
group by cutoff_date, guarantor_id

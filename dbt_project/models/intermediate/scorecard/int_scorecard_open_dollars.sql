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

-- one row per encounter day with a balance > 0 (the ledger rows of one encounter and day share
-- its balance and next date), before the cutoffs multiply them
open_encounter_days as (
    select
        l.guarantor_id,
        l.encounter_id,
        l.effective_date,
        l.encounter_next_date,
        l.encounter_balance_after
    from {{ ref('int_balance_ledger') }} as l
    where l.encounter_id is not null and l.encounter_balance_after > 0
    group by l.guarantor_id, l.encounter_id, l.effective_date, l.encounter_next_date, l.encounter_balance_after
),

balances as (
    select
        c.cutoff_date,
        d.guarantor_id,
        d.encounter_balance_after as balance
    from open_encounter_days as d
    inner join cutoffs as c
        on {{ balance_on('d', 'encounter', 'cast(' ~ dbt.dateadd('day', -1, 'c.cutoff_date') ~ ' as date)') }}
)

select
    {{ dbt.concat([dbt.safe_cast('cutoff_date', dbt.type_string()), "'|'", 'guarantor_id']) }} as open_dollars_id,
    cutoff_date,
    guarantor_id,
    {{ money('sum(balance)') }} as open_dollars
from balances
group by cutoff_date, guarantor_id

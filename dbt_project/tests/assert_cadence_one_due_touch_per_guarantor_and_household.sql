-- docs/rules.md §4: at most one cadence touch per guarantor per day and per household per day.
-- Returns guarantors and households with more than one `due` touch on the as-of date (a
-- card-on-file plan charge is a payment instruction, not a contact).
{{ config(meta={'dagster': {'ref': {'name': 'fct_touches'}}}) }}
with due as (
    select * from {{ ref('fct_touches') }}
    where status = 'due' and channel <> 'card'
)

select
    'guarantor' as grain,
    guarantor_id as id,
    count(*) as due_touches
from due
group by guarantor_id
having count(*) > 1
union all
select
    'household' as grain,
    household_id as id,
    count(*) as due_touches
from due
group by household_id
having count(*) > 1

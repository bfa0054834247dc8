-- The weeks of the scorecard (docs/rules.md §10): the week holding the as-of date D (possibly
-- partial) and the scorecard_weeks() (13) weeks before it. Weeks end on the policy's
-- kpi_week_ends_on (Sunday). data_end_date = the last day whose data the week can hold
-- (week_ending, or D for the current partial week). trailing_start_date = the first day of
-- the scorecard_weeks()-week window ending with the week (percent_placed_trailing_13w).
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        {{ weekday_index('kpi_week_ends_on') }} as end_index
    from {{ ref('stg_policy') }}
),

current_week as (
    select
        as_of_date,
        {{ week_ending('as_of_date', 'end_index') }} as week_ending
    from run
),

weeks as (
    select
        cast({{ dbt.dateadd('day', '-7 * seq.num', 'c.week_ending') }} as date) as week_ending,
        seq.num as weeks_back,
        c.as_of_date
    from current_week as c
    cross join {{ numbers(scorecard_weeks() | int + 1) }} as seq
)

select
    week_ending,
    cast({{ dbt.dateadd('day', -6, 'week_ending') }} as date) as week_start,
    case when week_ending <= as_of_date then week_ending else as_of_date end as data_end_date,
    cast({{ dbt.dateadd('day', '-7 * ' ~ scorecard_weeks() ~ ' + 1', 'week_ending') }} as date)
        as trailing_start_date,
    weeks_back,
    week_ending <= as_of_date as is_complete,
    as_of_date
from weeks

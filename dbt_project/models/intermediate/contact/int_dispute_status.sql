-- One row per dispute with its state on the as-of date (docs/rules.md §3 segment 1, §4 holds).
-- A dispute opened after the as-of date is kept but is not open; a resolution dated after the
-- as-of date is not known yet (resolved_date and resolution null, still open).
with disputes as (select * from {{ ref('stg_disputes') }}),

run as (select {{ as_of_date() }} as as_of_date),

dated as (
    select
        d.*,
        run.as_of_date,
        d.opened_date <= run.as_of_date as is_opened,
        d.resolved_date is not null and d.resolved_date <= run.as_of_date as is_resolved
    from disputes as d
    cross join run
)

select
    dispute_id,
    guarantor_id,
    encounter_id,
    opened_date,
    case when is_resolved then resolved_date end as resolved_date,
    is_opened and not is_resolved as is_open,
    case
        when is_opened and not is_resolved then {{ days_between('opened_date', 'as_of_date') }}
        when is_opened and is_resolved then {{ days_between('opened_date', 'resolved_date') }}
    end as age_days,
    reason,
    case when is_resolved then resolution end as resolution,
    channel
from dated

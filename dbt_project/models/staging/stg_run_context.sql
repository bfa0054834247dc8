-- The run being built (one row, written by the daily job before dbt runs): its as-of date
-- and the instant it started (UTC), read through the as_of_date() and run_started_at()
-- macros, so no model outside staging reads a source.
select
    as_of_date,
    run_id,
    run_started_at
from {{ source('raw', 'run_context') }}

-- The first statement of each open episode (DOMAIN.md §3): the local date (clinic time zone)
-- on which the pipeline sent statement 1 of this episode (send ledger status sent or
-- delivered, on or before the as-of date; the ledger's as_of_date when sent_at is empty),
-- else — before the pipeline has sent one, e.g. a first run on a clinic's history —
-- episode_start + segments_first_statement_fallback_days.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        clinic_timezone,
        segments_first_statement_fallback_days as fallback_days
    from {{ ref('stg_policy') }}
),
episodes as (select * from {{ ref('int_guarantor_episodes') }}),
sent as (
    select
        l.guarantor_id,
        l.episode_start,
        coalesce({{ utc_to_local_date('l.sent_at', 'run.clinic_timezone') }}, l.as_of_date)
            as sent_date,
        l.as_of_date as ledger_as_of_date
    from {{ ref('stg_send_ledger') }} as l
    cross join run
    where l.step = 'statement_1' and l.status in ('sent', 'delivered')
),
-- for placement: only ledger rows of runs before D, because D's own run writes its
-- statements after dbt (a re-run of D then gives the same eligibility)
first_sent_before_run as (
    select s.guarantor_id, s.episode_start, min(s.sent_date) as sent_date
    from sent as s
    cross join run
    where s.ledger_as_of_date < run.as_of_date
    group by s.guarantor_id, s.episode_start
),
first_sent as (
    select s.guarantor_id, s.episode_start, min(s.sent_date) as sent_date
    from sent as s
    cross join run
    where s.sent_date <= run.as_of_date
    group by s.guarantor_id, s.episode_start
)
select
    e.guarantor_id,
    e.episode_start,
    f.sent_date as statement_1_sent_date,
    coalesce(
        f.sent_date,
        cast({{ dbt.dateadd('day', 'run.fallback_days', 'e.episode_start') }} as date)
    ) as first_statement_date,
    case when f.sent_date is not null then 'send_ledger' else 'fallback' end
        as first_statement_source,
    coalesce(
        b.sent_date,
        cast({{ dbt.dateadd('day', 'run.fallback_days', 'e.episode_start') }} as date)
    ) as first_statement_date_before_run,
    case when b.sent_date is not null then 'send_ledger' else 'fallback' end
        as first_statement_source_before_run
from episodes as e
cross join run
left join first_sent as f
    on f.guarantor_id = e.guarantor_id and f.episode_start = e.episode_start
left join first_sent_before_run as b
    on b.guarantor_id = e.guarantor_id and b.episode_start = e.episode_start

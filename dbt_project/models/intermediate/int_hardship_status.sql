-- Hardship state per guarantor on the as-of date (DOMAIN.md §4, §6), from the applications
-- submitted on or before it:
--   active  : approved (decided on or before the as-of date, or decision date not given) and
--             support_start ≤ as-of ≤ support_end (start defaults to the decision date, an
--             empty end is open-ended: a hold fails closed);
--   pending : submitted, and no approve/deny decision dated on or before the as-of date;
--   none    : otherwise (denied, support not started yet or ended).
-- The row carries the application that sets the state: the active one, else the pending one,
-- else the latest submitted (ties: application_id).
with run as (
    select {{ as_of_date() }} as as_of_date, hardship_review_notice_days as review_notice_days
    from {{ ref('stg_policy') }}
),
apps as (
    select h.*, run.as_of_date, run.review_notice_days
    from {{ ref('stg_hardship') }} as h
    cross join run
    where h.submitted_date <= run.as_of_date
),
classified as (
    select
        *,
        outcome in ('approved', 'denied')
            and (decided_date is null or decided_date <= as_of_date) as is_decided
    from apps
),
stated as (
    select
        *,
        case
            when is_decided and outcome = 'approved'
                and coalesce(support_start_date, decided_date, submitted_date) <= as_of_date
                and (support_end_date is null or as_of_date <= support_end_date) then 'active'
            when not is_decided then 'pending'
            else 'none'
        end as application_state
    from classified
),
ranked as (
    select
        *,
        row_number() over (
            partition by guarantor_id
            order by
                case application_state when 'active' then 1 when 'pending' then 2 else 3 end,
                submitted_date desc,
                application_id desc
        ) as state_rank,
        count(*) over (partition by guarantor_id) as applications
    from stated
)
select
    guarantor_id,
    application_state as hardship_state,
    application_id,
    submitted_date,
    decided_date,
    outcome,
    relief,
    discount_pct,
    support_start_date,
    support_end_date,
    cast({{ dbt.dateadd('day', '-1 * review_notice_days', 'support_end_date') }} as date)
        as review_due_date,
    applications
from ranked
where state_rank = 1

-- Hardship state per guarantor on the as-of date D (docs/rules.md §4, §6 "Hardship"),
-- from the applications submitted on or before D:
--   support period of an approved application: from support_start (else the decision date,
--     else the submission) to support_end; when the export leaves support_end blank the policy
--     ends it: support_start + hardship_support_max_months (support never lasts forever);
--   review_due_date: hardship_review_notice_days before support_end, or, with support_end
--     blank, before support_start + hardship_support_min_months (re-verify at the shortest
--     support period; staff then set the end, up to the maximum);
--   active  : approved (decided on or before D, or no decision date given) and D within the
--             support period;
--   pending : submitted, and no approve/deny decision dated on or before D;
--   none    : otherwise (denied, support not started yet or over).
-- The row carries the application that sets the state: the active one, else the pending one,
-- else the latest submitted (ties: application_id).
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        hardship_review_notice_days as review_notice_days,
        hardship_support_min_months as support_min_months,
        hardship_support_max_months as support_max_months
    from {{ ref('stg_policy') }}
),

apps as (
    select
        h.*,
        run.as_of_date,
        run.review_notice_days,
        coalesce(h.support_start_date, h.decided_date, h.submitted_date) as effective_support_start_date
    from {{ ref('stg_hardship') }} as h
    cross join run
    where h.submitted_date <= run.as_of_date
),

periods as (
    select
        a.*,
        coalesce(
            a.support_end_date,
            cast({{ dbt.dateadd('month', 'run.support_max_months', 'a.effective_support_start_date') }} as date)
        ) as effective_support_end_date,
        case when a.support_end_date is null then 'policy_max_months' else 'export' end
            as support_end_source,
        coalesce(
            a.support_end_date,
            cast({{ dbt.dateadd('month', 'run.support_min_months', 'a.effective_support_start_date') }} as date)
        ) as review_anchor_date
    from apps as a
    cross join run
),

classified as (
    select
        *,
        outcome in ('approved', 'denied')
        and (decided_date is null or decided_date <= as_of_date) as is_decided
    from periods
),

stated as (
    select
        *,
        case
            when is_decided and outcome = 'approved'
                and effective_support_start_date <= as_of_date
                and as_of_date <= effective_support_end_date then 'active'
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
    effective_support_start_date,
    case when outcome = 'approved' then effective_support_end_date end as effective_support_end_date,
    case when outcome = 'approved' then support_end_source end as support_end_source,
    case when outcome = 'approved' then
            cast({{ dbt.dateadd('day', '-1 * review_notice_days', 'review_anchor_date') }} as date)
    end as review_due_date,
    applications
from ranked
where state_rank = 1

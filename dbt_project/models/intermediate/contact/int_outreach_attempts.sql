-- One row per documented outreach attempt on or before the as-of date D (docs/rules.md §8
-- "documented attempts", §10 "outreach touches"; docs/rules.md "Outreach attempts"):
--   * pipeline touches: send-ledger rows sent or delivered, dated (as_of_date) before D. The
--     ledger rows of D itself are written by D's own run after dbt, so they are left out: a
--     re-run of D sees the same attempts as the first run. A touch deferred (never handed off)
--     or skipped is not an attempt; a plan's card-on-file charge is a payment, not an attempt;
--   * outreach logged outside the pipeline: contact events that are attempts
--     (int_contact_events.is_outreach_attempt).
-- A ledger phone touch puts the guarantor on the staff call list; when the contact log has an
-- outbound call for the guarantor on the same local date, that call documents the attempt and
-- the ledger row is not counted again.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        clinic_timezone
    from {{ ref('stg_policy') }}
),

ledger as (
    select
        l.touch_id,
        l.guarantor_id,
        l.episode_start,
        l.step,
        l.channel,
        l.status,
        coalesce({{ utc_to_local_date('l.sent_at', 'run.clinic_timezone') }}, l.as_of_date)
            as attempt_date
    from {{ ref('stg_send_ledger') }} as l
    cross join run
    where l.status in ('sent', 'delivered')
        and l.as_of_date < run.as_of_date
        and l.channel <> 'card'
),

contacts as (
    select * from {{ ref('int_contact_events') }}
    where is_outreach_attempt
),

logged_calls as (
    select distinct
        guarantor_id,
        occurred_date
    from contacts
    where channel = 'phone'
)

select
    {{ dbt.concat(["'ledger:'", 'l.touch_id']) }} as attempt_id,
    l.guarantor_id,
    l.attempt_date,
    l.channel,
    'send_ledger' as attempt_source,
    l.touch_id,
    l.episode_start,
    l.step,
    l.status = 'delivered' as is_delivered
from ledger as l
where not (
        l.channel = 'phone'
        and exists (
            select 1 from logged_calls as lc
            where lc.guarantor_id = l.guarantor_id and lc.occurred_date = l.attempt_date
        )
    )
union all
select
    c.contact_event_id as attempt_id,
    c.guarantor_id,
    c.occurred_date as attempt_date,
    c.channel,
    'contact_log' as attempt_source,
    cast(null as {{ dbt.type_string() }}) as touch_id,
    cast(null as date) as episode_start,
    cast(null as {{ dbt.type_string() }}) as step,
    c.is_delivered
from contacts as c

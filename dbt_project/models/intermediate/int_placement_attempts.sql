-- One row per documented outreach attempt on or before the as-of date D (DOMAIN.md §8
-- "documented attempts", §10 "outreach touches"):
--   * pipeline touches: send-ledger rows with status sent or delivered, dated (as_of_date)
--     before D. The ledger rows of D itself are written by D's own run after dbt, so they are
--     left out: a re-run of D sees the same attempts as the first run;
--   * outreach logged outside the pipeline: contact_log rows dated on or before D, direction
--     outbound (or empty), channel not inbound_call, outcome not returned_mail / bounced (those
--     record what became of an earlier letter or email, not a new attempt).
-- Channels are normalized to the cadence's names: call → phone, letter → mail (sms, email,
-- portal kept; an empty channel stays null and adds no channel).
-- A ledger phone touch puts the guarantor on the staff call list; when the contact log has an
-- outbound call for the guarantor on the same local date, that call documents the attempt and
-- the ledger row is not counted again.
with run as (
    select {{ as_of_date() }} as as_of_date, clinic_timezone from {{ ref('stg_policy') }}
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
      and l.channel <> 'card'  -- a plan's card-on-file charge is a payment, not an attempt
),
contacts as (
    select
        c.contact_id,
        c.guarantor_id,
        c.occurred_date as attempt_date,
        case c.channel
            when 'call' then 'phone'
            when 'letter' then 'mail'
            else c.channel
        end as channel,
        c.outcome
    from {{ ref('stg_contact_log') }} as c
    cross join run
    where c.occurred_date <= run.as_of_date
      and coalesce(c.direction, 'outbound') = 'outbound'
      and coalesce(c.channel, '') <> 'inbound_call'
      and coalesce(c.outcome, '') not in ('returned_mail', 'bounced')
),
logged_calls as (
    select distinct guarantor_id, attempt_date from contacts where channel = 'phone'
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
        where lc.guarantor_id = l.guarantor_id and lc.attempt_date = l.attempt_date
    )
)
union all
select
    {{ dbt.concat(["'contact:'", 'c.contact_id']) }} as attempt_id,
    c.guarantor_id,
    c.attempt_date,
    c.channel,
    'contact_log' as attempt_source,
    cast(null as {{ dbt.type_string() }}) as touch_id,
    cast(null as date) as episode_start,
    cast(null as {{ dbt.type_string() }}) as step,
    coalesce(c.outcome = 'delivered', false) as is_delivered
from contacts as c

-- Everything the cadence engine (DOMAIN.md §4) checks per guarantor before a touch leaves,
-- on the as-of date D; one row per guarantor. Thresholds come from stg_policy only.
--   Guarantor holds (also dim_guarantor_status.on_hold): open_dispute, hardship_pending,
--   hardship_active, deceased (deceased_at ≤ D), bankrupt (bankruptcy_filed_at ≤ D), placed.
--   Channel blocks (the step is skipped with the reason, the cadence carries on):
--     sms   : no_sms_consent (none on or before D), sms_opted_out (opt-out on or before D, at or
--             after the consent), no_phone, invalid_phone, wrong_number;
--     email : no_email_consent, email_opted_out, email_spam_report / email_unsubscribed
--             (SendGrid spamreport / unsubscribe / group_unsubscribe on or before D, matched by
--             guarantor_id or sha256(lower(trim(email)))), no_email, invalid_email;
--     mail  : no_address (line 1, city, state or postal code empty), returned_mail (a
--             returned_mail contact on or before D dated after address_verified_at, or any when
--             the address was never verified);
--     phone : no_phone, invalid_phone, wrong_number;
--     card  : no_card_on_file_consent (card_on_file_consent_at on or before D; a plan's
--             card-on-file charge, int_move_candidates, is not a contact and is not counted
--             in touches_sent_today or the call limits).
--   wrong_number = a wrong_number contact on or before D that happened after the guarantor
--   row's updated_at (a corrected number arrives as a new version of the row; the export has
--   no phone-changed timestamp).
--   Call limits (12 CFR 1006.14(b)(2)): calls_last_7_days = outbound calls of the contact log
--   (channel call, direction outbound or empty) + phone touches of the send ledger (sent or
--   delivered) dated D-6..D; has_recent_conversation = a connected call (call or inbound_call)
--   with 0 ≤ D − date ≤ guardrails_days_after_connected_call.
--   touches_sent_today = cadence touches of the ledger sent or delivered for D (planned for D
--   or sent on D, clinic-local date).
--   has_change_since_computed = a payment posted, a plan created or a dispute opened after D.
--   Freshness: newest patient_transactions updated_at at or before the end of D (midnight
--   after D in the clinic time zone) older than guardrails_freshness_max_hours before that
--   instant, or no patient_transactions at all (fail closed) → is_data_stale.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        clinic_timezone,
        guardrails_calls_max_per_7_days as calls_max_per_7_days,
        guardrails_days_after_connected_call as days_after_connected_call,
        guardrails_freshness_max_hours as freshness_max_hours,
        guardrails_contact_window_start as contact_window_start,
        guardrails_contact_window_end as contact_window_end
    from {{ ref('stg_policy') }}
),
day_end as (
    select
        run.*,
        {{ local_to_utc("cast(" ~ dbt.dateadd('day', 1, 'run.as_of_date') ~ " as timestamp)", 'run.clinic_timezone') }}
            as as_of_day_end_at
    from run
),
freshness as (
    select
        d.*,
        (
            select max(t.updated_at)
            from {{ ref('stg_patient_transactions') }} as t
            where t.updated_at <= d.as_of_day_end_at
        ) as newest_transaction_updated_at
    from day_end as d
),
settings as (
    select
        f.*,
        f.newest_transaction_updated_at is null
            or f.newest_transaction_updated_at
                < {{ dbt.dateadd('minute', '-60 * f.freshness_max_hours', 'f.as_of_day_end_at') }}
            as is_data_stale,
        coalesce(
            {{ time_of_day('f.contact_window_start') }}
                < {{ time_of_day('f.contact_window_end') }},
            false
        ) as is_contact_window_valid
    from freshness as f
),
guarantors as (select * from {{ ref('stg_guarantors') }}),
disputes as (
    select guarantor_id, count(*) as open_disputes
    from {{ ref('int_dispute_status') }}
    where is_open
    group by guarantor_id
),
hardship as (select * from {{ ref('int_hardship_status') }}),
placements as (select * from {{ ref('int_guarantor_placements') }}),
contacts as (
    select c.*
    from {{ ref('stg_contact_log') }} as c
    cross join run
    where c.occurred_date <= run.as_of_date
),
ledger as (
    select
        l.*,
        coalesce({{ utc_to_local_date('l.sent_at', 'run.clinic_timezone') }}, l.as_of_date)
            as sent_date
    from {{ ref('stg_send_ledger') }} as l
    cross join run
    where l.as_of_date <= run.as_of_date and l.status in ('sent', 'delivered')
      and l.channel <> 'card'
),
ledger_today as (
    select l.guarantor_id, count(*) as touches_sent_today
    from ledger as l
    cross join run
    where l.as_of_date = run.as_of_date or l.sent_date = run.as_of_date
    group by l.guarantor_id
),
calls as (
    select c.guarantor_id, c.occurred_date as call_date
    from contacts as c
    where c.channel = 'call' and coalesce(c.direction, 'outbound') = 'outbound'
    union all
    select l.guarantor_id, l.sent_date as call_date
    from ledger as l
    where l.channel = 'phone'
),
calls_7d as (
    select c.guarantor_id, count(*) as calls_last_7_days
    from calls as c
    cross join run
    where {{ days_between('c.call_date', 'run.as_of_date') }} between 0 and 6
    group by c.guarantor_id
),
conversations as (
    select guarantor_id, max(occurred_date) as last_connected_call_date
    from contacts
    where outcome = 'connected' and channel in ('call', 'inbound_call')
    group by guarantor_id
),
wrong_numbers as (
    select distinct c.guarantor_id
    from contacts as c
    inner join guarantors as g on g.guarantor_id = c.guarantor_id
    where c.outcome = 'wrong_number'
      and (g.updated_at is null or c.occurred_at > g.updated_at)
),
returned_mail as (
    select distinct c.guarantor_id
    from contacts as c
    inner join guarantors as g on g.guarantor_id = c.guarantor_id
    where c.outcome = 'returned_mail'
      and (g.address_verified_date is null or c.occurred_date > g.address_verified_date)
),
email_events as (
    select e.*
    from {{ ref('stg_sendgrid_events') }} as e
    cross join run
    where e.event in ('spamreport', 'unsubscribe', 'group_unsubscribe')
      and {{ utc_to_local_date('e.event_at', 'run.clinic_timezone') }} <= run.as_of_date
),
email_revoked_by_id as (
    select guarantor_id, event from email_events where guarantor_id is not null
),
email_revoked_by_hash as (
    select g.guarantor_id, e.event
    from email_events as e
    inner join guarantors as g
        on e.email_sha256 = {{ sha256_hex('lower(trim(g.email))') }}
    where g.email is not null
),
email_revoked as (
    select
        guarantor_id,
        max(case when event = 'spamreport' then 1 else 0 end) = 1 as has_spam_report,
        max(case when event <> 'spamreport' then 1 else 0 end) = 1 as has_unsubscribe
    from (
        select guarantor_id, event from email_revoked_by_id
        union all
        select guarantor_id, event from email_revoked_by_hash
    ) as revocations
    group by guarantor_id
),
changes as (
    select t.guarantor_id
    from {{ ref('stg_patient_transactions') }} as t
    cross join run
    where t.transaction_type = 'payment' and t.posted_date > run.as_of_date
    union
    select p.guarantor_id
    from {{ ref('stg_payment_plans') }} as p
    cross join run
    where p.created_date > run.as_of_date
    union
    select d.guarantor_id
    from {{ ref('stg_disputes') }} as d
    cross join run
    where d.opened_date > run.as_of_date
),
active_plans as (
    select distinct p.guarantor_id
    from {{ ref('stg_payment_plans') }} as p
    cross join run
    where p.created_date <= run.as_of_date
      and (p.status = 'active' or p.status_changed_date > run.as_of_date)
),
flags as (
    select
        g.guarantor_id,
        g.household_id,
        g.timezone,
        g.phone,
        g.email,
        coalesce(d.open_disputes, 0) > 0 as has_open_dispute,
        coalesce(h.hardship_state, 'none') as hardship_state,
        coalesce(g.deceased_date <= s.as_of_date, false) as is_deceased,
        coalesce(g.bankruptcy_filed_date <= s.as_of_date, false) as is_bankrupt,
        coalesce(p.is_placed, false) as is_placed,
        ap.guarantor_id is not null as has_active_plan,
        coalesce(c7.calls_last_7_days, 0) as calls_last_7_days,
        conv.last_connected_call_date,
        coalesce(lt.touches_sent_today, 0) as touches_sent_today,
        ch.guarantor_id is not null as has_change_since_computed,
        coalesce(trim(g.phone), '') = '' as has_no_phone,
        {{ is_valid_phone('g.phone') }} as has_valid_phone,
        wn.guarantor_id is not null as has_wrong_number,
        coalesce(trim(g.email), '') = '' as has_no_email,
        coalesce(er.has_spam_report, false) as has_email_spam_report,
        coalesce(er.has_unsubscribe, false) as has_email_unsubscribe,
        coalesce(trim(g.address_line1), '') = '' or coalesce(trim(g.city), '') = ''
            or coalesce(trim(g.state), '') = '' or coalesce(trim(g.postal_code), '') = ''
            as has_no_address,
        rm.guarantor_id is not null as has_returned_mail,
        g.sms_consent_date is null or g.sms_consent_date > s.as_of_date as has_no_sms_consent,
        coalesce(
            g.sms_opt_out_date <= s.as_of_date and g.sms_opt_out_at >= g.sms_consent_at, false
        ) as has_sms_opt_out,
        g.email_consent_date is null or g.email_consent_date > s.as_of_date
            as has_no_email_consent,
        g.card_on_file_consent_date is null or g.card_on_file_consent_date > s.as_of_date
            as has_no_card_consent,
        coalesce(
            g.email_opt_out_date <= s.as_of_date and g.email_opt_out_at >= g.email_consent_at,
            false
        ) as has_email_opt_out,
        s.as_of_date,
        s.calls_max_per_7_days,
        s.days_after_connected_call,
        s.is_data_stale,
        s.newest_transaction_updated_at,
        s.is_contact_window_valid,
        s.contact_window_start,
        s.contact_window_end
    from guarantors as g
    cross join settings as s
    left join disputes as d on d.guarantor_id = g.guarantor_id
    left join hardship as h on h.guarantor_id = g.guarantor_id
    left join placements as p on p.guarantor_id = g.guarantor_id
    left join active_plans as ap on ap.guarantor_id = g.guarantor_id
    left join calls_7d as c7 on c7.guarantor_id = g.guarantor_id
    left join conversations as conv on conv.guarantor_id = g.guarantor_id
    left join ledger_today as lt on lt.guarantor_id = g.guarantor_id
    left join (select distinct guarantor_id from changes) as ch on ch.guarantor_id = g.guarantor_id
    left join wrong_numbers as wn on wn.guarantor_id = g.guarantor_id
    left join email_revoked as er on er.guarantor_id = g.guarantor_id
    left join returned_mail as rm on rm.guarantor_id = g.guarantor_id
),
reasons as (
    select
        f.*,
        f.has_open_dispute
            or f.hardship_state in ('pending', 'active')
            or f.is_deceased or f.is_bankrupt or f.is_placed as is_on_hold,
        -- sorted rule names of the guarantor-level holds
        {{ dbt.concat([
            "case when f.is_bankrupt then ',bankrupt' else '' end",
            "case when f.is_deceased then ',deceased' else '' end",
            "case when f.hardship_state = 'active' then ',hardship_active' else '' end",
            "case when f.hardship_state = 'pending' then ',hardship_pending' else '' end",
            "case when f.has_open_dispute then ',open_dispute' else '' end",
            "case when f.is_placed then ',placed' else '' end",
        ]) }} as hold_list,
        f.calls_last_7_days >= f.calls_max_per_7_days as is_call_limit_reached,
        coalesce(
            {{ days_between('f.last_connected_call_date', 'f.as_of_date') }}
                between 0 and f.days_after_connected_call,
            false
        ) as has_recent_conversation,
        case
            when f.has_no_sms_consent then 'no_sms_consent'
            when f.has_sms_opt_out then 'sms_opted_out'
            when f.has_no_phone then 'no_phone'
            when not f.has_valid_phone then 'invalid_phone'
            when f.has_wrong_number then 'wrong_number'
        end as sms_block_reason,
        case
            when f.has_no_email_consent then 'no_email_consent'
            when f.has_email_opt_out then 'email_opted_out'
            when f.has_email_spam_report then 'email_spam_report'
            when f.has_email_unsubscribe then 'email_unsubscribed'
            when f.has_no_email then 'no_email'
            when f.email not like '%_@_%' then 'invalid_email'
        end as email_block_reason,
        case
            when f.has_no_address then 'no_address'
            when f.has_returned_mail then 'returned_mail'
        end as mail_block_reason,
        case
            when f.has_no_phone then 'no_phone'
            when not f.has_valid_phone then 'invalid_phone'
            when f.has_wrong_number then 'wrong_number'
        end as phone_block_reason,
        case when f.has_no_card_consent then 'no_card_on_file_consent' end as card_block_reason
    from flags as f
)
select
    guarantor_id,
    household_id,
    timezone,
    has_open_dispute,
    hardship_state,
    is_deceased,
    is_bankrupt,
    is_placed,
    is_on_hold,
    case when hold_list <> '' then substring(hold_list, 2, length(hold_list) - 1) end
        as hold_reasons,
    has_active_plan,
    calls_last_7_days,
    is_call_limit_reached,
    last_connected_call_date,
    has_recent_conversation,
    touches_sent_today,
    has_change_since_computed,
    sms_block_reason,
    email_block_reason,
    mail_block_reason,
    phone_block_reason,
    card_block_reason,
    is_data_stale,
    newest_transaction_updated_at,
    is_contact_window_valid,
    contact_window_start,
    contact_window_end,
    as_of_date
from reasons

-- Everything the cadence checks per guarantor before a touch leaves on the as-of date D
-- (docs/rules.md §4 "Guardrails"); one row per guarantor. Thresholds from stg_policy.
--   Guarantor holds: int_protective_flags (open_dispute, hardship_pending, hardship_active,
--   deceased, bankrupt, placed).
--   Channel blocks (the step is skipped with the reason, the cadence carries on), known to the
--   plan so the daily cap is never spent on a touch that cannot leave:
--     sms   : no_sms_consent (none on or before D), sms_opted_out (an opt-out on or before D,
--             at or after the consent), no_phone, invalid_phone (stg_guarantors.phone_e164:
--             the number the hand-off uses), wrong_number (int_contact_events, in effect);
--     email : no_email_consent, email_opted_out, email_spam_report / email_unsubscribed
--             (int_contact_events, in effect), no_email, invalid_email;
--     mail  : no_address (line 1, city, state or postal code empty), returned_mail
--             (int_contact_events, in effect);
--     phone : no_phone, invalid_phone, wrong_number;
--     card  : no_card_on_file_consent (a plan's card-on-file charge is not a contact).
--   Calls (12 CFR 1006.14(b)(2)): calls_last_7_days = outbound calls of the contact log +
--   phone touches of the send ledger (sent or delivered) dated D-6..D; has_recent_conversation
--   = a conversation's call rest in effect (int_contact_events: any call, in or out, where the
--   guarantor was reached, rests calls guardrails_days_after_connected_call days).
--   touches_sent_today = touches of the ledger (not card) planned for D or sent on D
--   (clinic-local) that were handed off or attempted (sent, delivered, failed): a re-run of
--   D finds the guarantor's slot of the day taken, whatever became of that touch.
--   has_change_since_computed = a payment posted, a plan created or a dispute opened after D.
--   has_plan_in_good_standing = a plan in state active on D (int_plan_status: computed from
--   its installments, never the export's word alone).
--   Freshness (run-wide): is_data_stale when the newest patient_transactions export (a file of
--   the file ledger that loaded — an empty export of a quiet day too — or a duplicate of one)
--   arrived (its modification time) guardrails_freshness_max_hours or more before the run
--   started, or none ever arrived (fail closed).
--   Contact window (12 CFR 1006.6(b)(1)(i)): today's window of the guarantor is
--   guardrails_contact_window_start..end local on the later of D and the guarantor's local
--   date when the run started; is_contact_window_closed when the run started at or after its
--   end (sms, e-mail and calls then wait for the next day: deferred).
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        {{ run_started_at() }} as run_started_at,
        clinic_timezone,
        guardrails_calls_max_per_7_days as calls_max_per_7_days,
        guardrails_freshness_max_hours as freshness_max_hours,
        guardrails_contact_window_start as contact_window_start,
        guardrails_contact_window_end as contact_window_end
    from {{ ref('stg_policy') }}
),

arrivals as (
    select max(coalesce(f.modified_at, f.arrived_at)) as newest_transactions_arrived_at
    from {{ ref('stg_file_ledger') }} as f
    where f.kind = 'patient_transactions'
        and (
            f.status in ('loaded', 'loaded_with_warnings', 'duplicate')
            or (f.status = 'quarantined' and f.size_bytes = 0)
        )
),

settings as (
    select
        run.*,
        a.newest_transactions_arrived_at,
        coalesce(
            a.newest_transactions_arrived_at
            > {{ dbt.dateadd('minute', '-60 * run.freshness_max_hours', 'run.run_started_at') }},
            false
        ) = false as is_data_stale,
        coalesce(
            {{ time_of_day('run.contact_window_start') }} < {{ time_of_day('run.contact_window_end') }},
            false
        ) as is_contact_window_valid
    from run
    cross join arrivals as a
),

guarantors as (select * from {{ ref('stg_guarantors') }}),

flags as (select * from {{ ref('int_protective_flags') }}),

contact_events as (select * from {{ ref('int_contact_events') }}),

effects as (
    select
        guarantor_id,
        max(case when effect = 'wrong_number' and is_in_effect then 1 else 0 end) = 1 as has_wrong_number,
        max(case when effect = 'returned_mail' and is_in_effect then 1 else 0 end) = 1 as has_returned_mail,
        max(case when effect = 'email_spam_report' and is_in_effect then 1 else 0 end) = 1
            as has_email_spam_report,
        max(case when effect = 'email_unsubscribed' and is_in_effect then 1 else 0 end) = 1
            as has_email_unsubscribe,
        max(case when effect = 'call_rest' and is_in_effect then 1 else 0 end) = 1
            as has_recent_conversation,
        max(case when is_conversation then occurred_date end) as last_conversation_date
    from contact_events
    where effect is not null
    group by guarantor_id
),

ledger as (
    select
        l.*,
        coalesce({{ utc_to_local_date('l.sent_at', 'run.clinic_timezone') }}, l.as_of_date)
            as sent_date
    from {{ ref('stg_send_ledger') }} as l
    cross join run
    where l.as_of_date <= run.as_of_date
        and l.status in ('sent', 'delivered', 'failed')
        and l.channel <> 'card'
),

ledger_today as (
    select
        l.guarantor_id,
        count(*) as touches_sent_today
    from ledger as l
    cross join run
    where l.as_of_date = run.as_of_date or l.sent_date = run.as_of_date
    group by l.guarantor_id
),

calls as (
    select
        c.guarantor_id,
        c.occurred_date as call_date
    from contact_events as c
    where c.source = 'contact_log' and c.is_call and c.direction = 'outbound'
    union all
    select
        l.guarantor_id,
        l.sent_date as call_date
    from ledger as l
    where l.channel = 'phone' and l.status in ('sent', 'delivered')
),

calls_7d as (
    select
        c.guarantor_id,
        count(*) as calls_last_7_days
    from calls as c
    cross join run
    where {{ days_between('c.call_date', 'run.as_of_date') }} between 0 and 6
    group by c.guarantor_id
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

plans_in_good_standing as (
    select distinct guarantor_id from {{ ref('int_plan_status') }}
    where in_good_standing
),

windows as (
    select
        g.guarantor_id,
        case
            when {{ utc_to_local_date('s.run_started_at', 'g.timezone') }} > s.as_of_date
                then {{ utc_to_local_date('s.run_started_at', 'g.timezone') }}
            else s.as_of_date
        end as window_date
    from guarantors as g
    cross join settings as s
    where g.timezone is not null and s.is_contact_window_valid
),

window_ends as (
    select
        w.guarantor_id,
        w.window_date,
        {{ local_to_utc(
            "cast(" ~ dbt.concat([dbt.safe_cast('w.window_date', dbt.type_string()), "' '", 's.contact_window_end']) ~ " as " ~ dbt.type_timestamp() ~ ")",
            'g.timezone') }} as contact_window_end_at
    from windows as w
    cross join settings as s
    inner join guarantors as g on w.guarantor_id = g.guarantor_id
),

combined as (
    select
        g.guarantor_id,
        g.household_id,
        g.timezone,
        g.email,
        f.has_open_dispute,
        f.hardship_state,
        f.is_deceased,
        f.is_bankrupt,
        f.is_placed,
        f.is_on_hold,
        f.hold_reasons,
        pg.guarantor_id is not null as has_plan_in_good_standing,
        coalesce(c7.calls_last_7_days, 0) as calls_last_7_days,
        e.last_conversation_date,
        coalesce(e.has_recent_conversation, false) as has_recent_conversation,
        coalesce(lt.touches_sent_today, 0) as touches_sent_today,
        ch.guarantor_id is not null as has_change_since_computed,
        coalesce(trim(g.phone), '') = '' as has_no_phone,
        g.phone_e164 is not null as has_valid_phone,
        coalesce(e.has_wrong_number, false) as has_wrong_number,
        coalesce(trim(g.email), '') = '' as has_no_email,
        coalesce(e.has_email_spam_report, false) as has_email_spam_report,
        coalesce(e.has_email_unsubscribe, false) as has_email_unsubscribe,
        coalesce(trim(g.address_line1), '') = '' or coalesce(trim(g.city), '') = ''
        or coalesce(trim(g.state), '') = '' or coalesce(trim(g.postal_code), '') = ''
            as has_no_address,
        coalesce(e.has_returned_mail, false) as has_returned_mail,
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
        we.window_date as contact_window_date,
        we.contact_window_end_at,
        coalesce(s.run_started_at >= we.contact_window_end_at, false) as is_contact_window_closed,
        s.as_of_date,
        s.run_started_at,
        s.calls_max_per_7_days,
        s.is_data_stale,
        s.newest_transactions_arrived_at,
        s.is_contact_window_valid,
        s.contact_window_start,
        s.contact_window_end
    from guarantors as g
    cross join settings as s
    inner join flags as f on g.guarantor_id = f.guarantor_id
    left join effects as e on g.guarantor_id = e.guarantor_id
    left join plans_in_good_standing as pg on g.guarantor_id = pg.guarantor_id
    left join calls_7d as c7 on g.guarantor_id = c7.guarantor_id
    left join ledger_today as lt on g.guarantor_id = lt.guarantor_id
    left join changes as ch on g.guarantor_id = ch.guarantor_id  -- a union: one row per guarantor
    left join window_ends as we on g.guarantor_id = we.guarantor_id
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
    hold_reasons,
    has_plan_in_good_standing,
    calls_last_7_days,
    calls_last_7_days >= calls_max_per_7_days as is_call_limit_reached,
    last_conversation_date,
    has_recent_conversation,
    touches_sent_today,
    has_change_since_computed,
    case
        when has_no_sms_consent then 'no_sms_consent'
        when has_sms_opt_out then 'sms_opted_out'
        when has_no_phone then 'no_phone'
        when not has_valid_phone then 'invalid_phone'
        when has_wrong_number then 'wrong_number'
    end as sms_block_reason,
    case
        when has_no_email_consent then 'no_email_consent'
        when has_email_opt_out then 'email_opted_out'
        when has_email_spam_report then 'email_spam_report'
        when has_email_unsubscribe then 'email_unsubscribed'
        when has_no_email then 'no_email'
        when email not like '%_@_%' then 'invalid_email'
    end as email_block_reason,
    case
        when has_no_address then 'no_address'
        when has_returned_mail then 'returned_mail'
    end as mail_block_reason,
    case
        when has_no_phone then 'no_phone'
        when not has_valid_phone then 'invalid_phone'
        when has_wrong_number then 'wrong_number'
    end as phone_block_reason,
    case when has_no_card_consent then 'no_card_on_file_consent' end as card_block_reason,
    is_data_stale,
    newest_transactions_arrived_at,
    run_started_at,
    is_contact_window_valid,
    contact_window_start,
    contact_window_end,
    contact_window_date,
    contact_window_end_at,
    is_contact_window_closed,
    as_of_date
from combined

-- Contact events and their effect windows on the as-of date D (docs/rules.md, "Contact
-- events"): one row per (event, guarantor) dated on or before D, from the contact log (every
-- row) and SendGrid (delivered, bounce, dropped, spamreport, unsubscribe, group_unsubscribe;
-- matched to a guarantor by its guarantor_id, the guarantor of its touch, or
-- sha256(lower(trim(email))) of the guarantor's e-mail on file).
-- Classification (one place for every consumer):
--   channel: call/inbound_call → phone, letter → mail (sms, email, portal kept);
--   is_conversation: a call, in or out (channel call or inbound_call), where the guarantor
--     was reached, whatever its recorded outcome (connected, promise_to_pay, plan_requested,
--     dispute_raised, refused, complaint, none recorded…): every outcome but voicemail,
--     no_answer and wrong_number (12 CFR 1006.14(b)(2));
--   is_response (segments, docs/rules.md §3): inbound (direction inbound or channel inbound_call),
--     a connected call, or outcome promise_to_pay / plan_requested;
--   is_outreach_attempt: a contact-log row that documents an attempt (direction outbound or
--     empty, not an inbound call, outcome not returned_mail / bounced);
--   is_delivered: contact outcome delivered or a SendGrid delivered event.
-- Effects, and what lifts them (is_in_effect = still in effect on D):
--   wrong_number (blocks sms and calls): the number on file when it was logged
--     (int_guarantor_phone_history) until the number on file changes (normalised) or a
--     conversation on that number (an outbound call that reached the guarantor) after it;
--     other edits of the guarantor row do not lift it;
--   returned_mail (blocks mail): until the address is verified on or after its date;
--   email_bounced (returned-contact queue only; bounce, dropped, contact outcome bounced):
--     until the contact details are verified on or after its date, or the e-mail on file is
--     another address than the one that bounced;
--   email_unsubscribed / email_spam_report (block e-mail): never lifted;
--   call_rest (blocks calls, a conversation): from its date through
--     guardrails_days_after_connected_call days after it.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        clinic_timezone,
        guardrails_days_after_connected_call as rest_days
    from {{ ref('stg_policy') }}
),

guarantors as (select * from {{ ref('stg_guarantors') }}),

contact_log as (
    select
        {{ dbt.concat(["'contact:'", 'c.contact_id']) }} as contact_event_id,
        'contact_log' as source,
        c.contact_id as source_id,
        c.guarantor_id,
        c.occurred_at,
        c.occurred_date,
        case c.channel
            when 'call' then 'phone'
            when 'inbound_call' then 'phone'
            when 'letter' then 'mail'
            else c.channel
        end as channel,
        case
            when c.direction = 'inbound' or c.channel = 'inbound_call' then 'inbound'
            else 'outbound'
        end as direction,
        c.outcome,
        coalesce(c.channel in ('call', 'inbound_call'), false) as is_call,
        coalesce(c.channel = 'call' and coalesce(c.direction, 'outbound') = 'outbound', false)
            as is_outbound_call,
        coalesce(
            c.channel in ('call', 'inbound_call')
            and coalesce(c.outcome, '') not in ('voicemail', 'no_answer', 'wrong_number'),
            false
        ) as is_conversation,
        coalesce(
            c.outcome in ('promise_to_pay', 'plan_requested')
            or c.direction = 'inbound'
            or c.channel = 'inbound_call'
            or (c.outcome = 'connected' and c.channel in ('call', 'inbound_call')),
            false
        ) as is_response,
        coalesce(c.direction, 'outbound') = 'outbound'
        and coalesce(c.channel, '') <> 'inbound_call'
        and coalesce(c.outcome, '') not in ('returned_mail', 'bounced') as is_outreach_attempt,
        coalesce(c.outcome = 'delivered', false) as is_delivered,
        case c.outcome
            when 'wrong_number' then 'wrong_number'
            when 'returned_mail' then 'returned_mail'
            when 'bounced' then 'email_bounced'
        end as log_effect,
        cast(null as {{ dbt.type_string() }}) as email_sha256
    from {{ ref('stg_contact_log') }} as c
    cross join run
    where c.occurred_date <= run.as_of_date
),

sendgrid as (
    select
        e.*,
        {{ utc_to_local_date('e.event_at', 'run.clinic_timezone') }} as event_date
    from {{ ref('stg_sendgrid_events') }} as e
    cross join run
    where e.event in ('delivered', 'bounce', 'dropped', 'spamreport', 'unsubscribe', 'group_unsubscribe')
        and {{ utc_to_local_date('e.event_at', 'run.clinic_timezone') }} <= run.as_of_date
),

sendgrid_guarantors as (
    select
        s.sg_event_id,
        coalesce(s.guarantor_id, l.guarantor_id) as guarantor_id
    from sendgrid as s
    left join {{ ref('stg_send_ledger') }} as l on s.touch_id = l.touch_id
    where coalesce(s.guarantor_id, l.guarantor_id) is not null
    union
    select
        s.sg_event_id,
        g.guarantor_id
    from sendgrid as s
    inner join guarantors as g
        on s.email_sha256 = {{ sha256_hex('lower(trim(g.email))') }}
    where g.email is not null
),

sendgrid_events as (
    select
        {{ dbt.concat(["'sendgrid:'", 's.sg_event_id', "':'", 'sg.guarantor_id']) }} as contact_event_id,
        'sendgrid' as source,
        s.sg_event_id as source_id,
        sg.guarantor_id,
        s.event_at as occurred_at,
        s.event_date as occurred_date,
        'email' as channel,
        case when s.event in ('spamreport', 'unsubscribe', 'group_unsubscribe') then 'inbound'
            else 'outbound'
        end as direction,
        s.event as outcome,
        false as is_call,
        false as is_outbound_call,
        false as is_conversation,
        false as is_response,
        false as is_outreach_attempt,
        s.event = 'delivered' as is_delivered,
        case s.event
            when 'bounce' then 'email_bounced'
            when 'dropped' then 'email_bounced'
            when 'spamreport' then 'email_spam_report'
            when 'unsubscribe' then 'email_unsubscribed'
            when 'group_unsubscribe' then 'email_unsubscribed'
        end as log_effect,
        s.email_sha256
    from sendgrid as s
    inner join sendgrid_guarantors as sg on s.sg_event_id = sg.sg_event_id
),

events as (
    select * from contact_log
    union all
    select * from sendgrid_events
),

effects as (
    select
        e.*,
        case when e.is_conversation and e.is_call then 'call_rest' else e.log_effect end as effect
    from events as e
),

-- the number on file when a wrong number was logged: the latest number first seen by then,
-- else the first number ever seen (the block then holds until that number changes)
phone_history as (select * from {{ ref('int_guarantor_phone_history') }}),

wrong_number_phones as (
    select
        w.contact_event_id,
        h.phone_e164,
        row_number() over (
            partition by w.contact_event_id
            order by
                case when h.valid_from <= w.occurred_at then 0 else 1 end,
                case when h.valid_from <= w.occurred_at then h.valid_from end desc,
                h.valid_from,
                h.seen_seq asc
        ) as pick
    from effects as w
    inner join phone_history as h on w.guarantor_id = h.guarantor_id
    where w.effect = 'wrong_number'
),

number_changes as (
    select
        w.contact_event_id,
        min(h.valid_from) as number_changed_at
    from effects as w
    inner join wrong_number_phones as p on w.contact_event_id = p.contact_event_id and p.pick = 1
    inner join phone_history as h
        on w.guarantor_id = h.guarantor_id
            and w.occurred_at < h.valid_from
            and not (p.phone_e164 = h.phone_e164 or (h.phone_e164 is null and p.phone_e164 is null))
    where w.effect = 'wrong_number'
    group by w.contact_event_id
),

number_conversations as (
    select
        w.contact_event_id,
        min(c.occurred_at) as conversation_at
    from effects as w
    inner join effects as c
        on w.guarantor_id = c.guarantor_id
            and c.is_conversation
            and c.is_outbound_call
            and w.occurred_at < c.occurred_at
    where w.effect = 'wrong_number'
    group by w.contact_event_id
),

wrong_numbers as (
    select
        w.contact_event_id,
        p.contact_event_id is not null as has_number_at_event,
        p.phone_e164 as number_at_event,
        g.phone_e164 as number_now,
        nc.number_changed_at,
        cv.conversation_at
    from effects as w
    left join wrong_number_phones as p on w.contact_event_id = p.contact_event_id and p.pick = 1
    left join guarantors as g on w.guarantor_id = g.guarantor_id
    left join number_changes as nc on w.contact_event_id = nc.contact_event_id
    left join number_conversations as cv on w.contact_event_id = cv.contact_event_id
    where w.effect = 'wrong_number'
),

windows as (
    select
        e.*,
        case
            when e.effect = 'wrong_number'
                then
                    case
                        when wn.has_number_at_event
                            and not (
                                wn.number_at_event = wn.number_now
                                or (wn.number_at_event is null and wn.number_now is null)
                            )
                            then 'number_changed'
                        when wn.conversation_at is not null then 'conversation'
                    end
            when e.effect in ('returned_mail', 'email_bounced')
                and g.address_verified_date >= e.occurred_date then 'contact_verified'
            when e.effect = 'email_bounced' and e.email_sha256 is not null and g.email is not null
                and e.email_sha256 <> {{ sha256_hex('lower(trim(g.email))') }} then 'email_changed'
            when e.effect = 'call_rest'
                and {{ days_between('e.occurred_date', 'run.as_of_date') }} > run.rest_days
                then 'rest_over'
        end as lifted_by,
        case
            when e.effect = 'wrong_number'
                then
                    coalesce(
                        {{ utc_to_local_date('wn.number_changed_at', 'run.clinic_timezone') }},
                        {{ utc_to_local_date('wn.conversation_at', 'run.clinic_timezone') }}
                    )
            when e.effect = 'call_rest'
                then cast({{ dbt.dateadd('day', 'run.rest_days + 1', 'e.occurred_date') }} as date)
            when e.effect in ('returned_mail', 'email_bounced')
                and g.address_verified_date >= e.occurred_date then g.address_verified_date
        end as effect_end_date,
        wn.number_at_event as wrong_number_e164
    from effects as e
    cross join run
    left join guarantors as g on e.guarantor_id = g.guarantor_id
    left join wrong_numbers as wn on e.contact_event_id = wn.contact_event_id
)

select
    contact_event_id,
    source,
    source_id,
    guarantor_id,
    occurred_at,
    occurred_date,
    channel,
    direction,
    outcome,
    is_call,
    is_conversation,
    is_response,
    is_outreach_attempt,
    is_delivered,
    effect,
    occurred_date as effect_start_date,
    case when effect is not null and lifted_by is not null then effect_end_date end as effect_end_date,
    case when effect is not null then lifted_by end as lifted_by,
    effect is not null and lifted_by is null as is_in_effect,
    wrong_number_e164
from windows

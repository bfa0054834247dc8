-- docs/rules.md §4 "Guardrails": no touch with status `due` breaks a guardrail. Each condition is
-- recomputed
-- from the models closest to the sources (not from int_touch_holds), so a slip in the hold
-- logic fails the build. Returns (touch, broken rule). Correspondence about the matter that
-- holds the guarantor is the exception (int_touch_holds): dispute_review during a dispute,
-- hardship letters during hardship; card charges are not contacts (no daily cap).
{{ config(meta={'dagster': {'ref': {'name': 'fct_touches'}}}) }}
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        guardrails_calls_max_per_7_days as calls_max,
        guardrails_days_after_connected_call as quiet_days,
        clinic_timezone
    from {{ ref('stg_policy') }}
),

due as (
    select * from {{ ref('fct_touches') }}
    where status = 'due'
),

g as (select * from {{ ref('stg_guarantors') }}),

broken as (
    select
        d.touch_id,
        'open_dispute' as rule
    from due as d
    inner join {{ ref('int_dispute_status') }} as x
        on d.guarantor_id = x.guarantor_id and x.is_open
    where d.step <> 'dispute_review'
    union all
    select
        d.touch_id,
        'hardship'
    from due as d
    inner join {{ ref('int_hardship_status') }} as h
        on d.guarantor_id = h.guarantor_id and h.hardship_state in ('pending', 'active')
    where not (
            d.step = 'hardship_decision'
            or (d.step = 'hardship_application' and h.hardship_state = 'pending')
            or (d.step = 'hardship_review' and h.hardship_state = 'active')
        )
    union all
    select
        d.touch_id,
        'deceased_or_bankrupt'
    from due as d
    cross join run
    inner join g on d.guarantor_id = g.guarantor_id
    where g.deceased_date <= run.as_of_date or g.bankruptcy_filed_date <= run.as_of_date
    union all
    select
        d.touch_id,
        'placed'
    from due as d
    cross join run
    inner join {{ ref('int_placement_history') }} as p
        on d.guarantor_id = p.guarantor_id and p.is_open and run.as_of_date >= p.placed_date
    union all
    select
        d.touch_id,
        'contact_window_closed'
    from due as d
    inner join {{ ref('int_touch_guardrails') }} as t on d.guarantor_id = t.guarantor_id
    where d.channel in ('sms', 'email', 'phone') and t.run_started_at >= t.contact_window_end_at
    union all
    select
        d.touch_id,
        'sms_consent'
    from due as d
    cross join run
    inner join g on d.guarantor_id = g.guarantor_id
    where d.channel = 'sms'
        and (
            g.sms_consent_date is null or g.sms_consent_date > run.as_of_date
            or (g.sms_opt_out_date <= run.as_of_date and g.sms_opt_out_at >= g.sms_consent_at)
            or g.phone_e164 is null
        )
    union all
    select
        d.touch_id,
        'email_consent'
    from due as d
    cross join run
    inner join g on d.guarantor_id = g.guarantor_id
    where d.channel = 'email'
        and (
            g.email_consent_date is null or g.email_consent_date > run.as_of_date
            or (
                g.email_opt_out_date <= run.as_of_date
                and g.email_opt_out_at >= g.email_consent_at
            )
            or g.email is null
        )
    union all
    select
        d.touch_id,
        'email_revoked'
    from due as d
    cross join run
    inner join {{ ref('stg_sendgrid_events') }} as e
        on d.guarantor_id = e.guarantor_id
            and e.event in ('spamreport', 'unsubscribe', 'group_unsubscribe')
    where d.channel = 'email'
        and {{ utc_to_local_date('e.event_at', 'run.clinic_timezone') }} <= run.as_of_date
    union all
    select
        d.touch_id,
        'mail_address'
    from due as d
    inner join g on d.guarantor_id = g.guarantor_id
    where d.channel = 'mail' and (g.address_line1 is null or g.postal_code is null)
    union all
    select
        d.touch_id,
        'call_frequency'
    from due as d
    cross join run
    where d.channel = 'phone'
        and (
            select count(*)
            from {{ ref('stg_contact_log') }} as c
            where c.guarantor_id = d.guarantor_id
                and c.channel = 'call'
                and coalesce(c.direction, 'outbound') = 'outbound'
                and {{ days_between('c.occurred_date', 'run.as_of_date') }} between 0 and 6
        ) >= run.calls_max
    union all
    select
        d.touch_id,
        'recent_conversation'
    from due as d
    cross join run
    inner join {{ ref('stg_contact_log') }} as c
        on d.guarantor_id = c.guarantor_id
            and c.channel in ('call', 'inbound_call')
            and coalesce(c.outcome, '') not in ('voicemail', 'no_answer', 'wrong_number')
            and run.as_of_date >= c.occurred_date
    where d.channel = 'phone'
        and {{ days_between('c.occurred_date', 'run.as_of_date') }} between 0 and run.quiet_days
    union all
    select
        d.touch_id,
        'stale_or_changed'
    from due as d
    inner join {{ ref('int_touch_guardrails') }} as t
        on d.guarantor_id = t.guarantor_id
    where t.is_data_stale or t.has_change_since_computed or not t.is_contact_window_valid
    union all
    select
        d.touch_id,
        'sent_today'
    from due as d
    cross join run
    inner join {{ ref('stg_send_ledger') }} as l
        on d.guarantor_id = l.guarantor_id
            and run.as_of_date = l.as_of_date
            and l.status in ('sent', 'delivered', 'failed')
            and d.touch_id <> l.touch_id
            and l.channel <> 'card'
    where d.channel <> 'card'
)

select * from broken

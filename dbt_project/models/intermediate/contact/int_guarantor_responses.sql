-- One row per response event on or before the as-of date (docs/rules.md §3, docs/rules.md
-- "Segments"): a payment posted (even one later reversed), or a contact event that is a
-- response (int_contact_events.is_response: inbound, a connected call, a promise to pay or a
-- plan request). A contact is one event, typed by the first rule that matches in the order
-- promise_to_pay/plan_requested, inbound, connected_call.
with run as (select {{ as_of_date() }} as as_of_date),

payments as (
    select
        {{ dbt.concat(["'payment:'", 't.transaction_id']) }} as response_id,
        t.guarantor_id,
        t.posted_date as response_date,
        'payment' as response_type,
        t.transaction_id as source_id
    from {{ ref('stg_patient_transactions') }} as t
    cross join run
    where t.transaction_type = 'payment' and t.posted_date <= run.as_of_date
),

contacts as (
    select
        c.contact_event_id as response_id,
        c.guarantor_id,
        c.occurred_date as response_date,
        case
            when c.outcome in ('promise_to_pay', 'plan_requested') then c.outcome
            when c.direction = 'inbound' then 'inbound_contact'
            else 'connected_call'
        end as response_type,
        c.source_id
    from {{ ref('int_contact_events') }} as c
    where c.is_response
)

select * from payments
union all
select * from contacts

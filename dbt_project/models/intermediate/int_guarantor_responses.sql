-- One row per response event on or before the as-of date (DOMAIN.md §3): a payment posted
-- (even one later reversed); a contact that is inbound (direction inbound or channel
-- inbound_call); a call (call or inbound_call) with outcome connected; a contact with outcome
-- promise_to_pay or plan_requested. A contact that matches several rules is one event,
-- typed by the first that matches in the order promise_to_pay/plan_requested, inbound,
-- connected_call.
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
        {{ dbt.concat(["'contact:'", 'c.contact_id']) }} as response_id,
        c.guarantor_id,
        c.occurred_date as response_date,
        case
            when c.outcome in ('promise_to_pay', 'plan_requested') then c.outcome
            when c.direction = 'inbound' or c.channel = 'inbound_call' then 'inbound_contact'
            else 'connected_call'
        end as response_type,
        c.contact_id as source_id
    from {{ ref('stg_contact_log') }} as c
    cross join run
    where c.occurred_date <= run.as_of_date
      and (
          c.outcome in ('promise_to_pay', 'plan_requested')
          or c.direction = 'inbound'
          or c.channel = 'inbound_call'
          or (c.outcome = 'connected' and c.channel in ('call', 'inbound_call'))
      )
)
select * from payments
union all
select * from contacts

-- Placement history on the as-of date D (docs/rules.md §8 "Placement history"): one
-- row per placement, from the pipeline's placement ledger (stg_placement_ledger, placed or
-- recalled, placed on or before D) and from what the collection agency reports
-- (stg_agency_activity, events on or before D), also for accounts placed before the pipeline
-- existed or by hand.
-- An agency event belongs to a ledger placement by placement_id, or, without one, to the
-- guarantor's ledger placements placed on or before it (the same encounter when both name
-- one). Events that belong to no ledger placement make agency placements: one per agency
-- placement_id, or one per guarantor ('agency:<guarantor_id>') for events without an id.
-- status on D:
--   pipeline placement: the latest closing agency event (recall_ack → recalled, closed_paid,
--     closed_uncollectible); else recalled by the clinic (recalled_at ≤ D, or ledger status
--     recalled); else placed (acknowledged and payment events keep it placed);
--   agency placement: its latest event decides (a closing one → that status, else placed).
-- is_open = status placed. placed_date = the ledger's placed_at, or the first agency event
-- (for an agency placement reopened after a closing event: the first event after it).
with run as (select {{ as_of_date() }} as as_of_date),

ledger as (
    select l.*
    from {{ ref('stg_placement_ledger') }} as l
    cross join run
    where l.status in ('placed', 'recalled') and l.placed_at <= run.as_of_date
),

activity as (
    select
        a.*,
        a.event in ('recall_ack', 'closed_paid', 'closed_uncollectible') as is_closing
    from {{ ref('stg_agency_activity') }} as a
    cross join run
    where a.occurred_date <= run.as_of_date
),

matched as (
    select
        l.placement_id,
        a.activity_id,
        a.event,
        a.is_closing,
        a.occurred_at,
        a.occurred_date,
        a.amount
    from ledger as l
    inner join activity as a
        on (l.placement_id = a.placement_id)
            or (
                a.placement_id is null
                and l.guarantor_id = a.guarantor_id
                and l.placed_at <= a.occurred_date
                and (a.encounter_id is null or l.encounter_id is null or l.encounter_id = a.encounter_id)
            )
),

agency_only as (
    select
        coalesce(a.placement_id, {{ dbt.concat(["'agency:'", 'a.guarantor_id']) }}) as placement_id,
        a.activity_id,
        a.guarantor_id,
        a.encounter_id,
        a.event,
        a.is_closing,
        a.occurred_at,
        a.occurred_date,
        a.amount
    from activity as a
    where not exists (
            select 1 from matched as m
            where m.activity_id = a.activity_id
        )
),

events as (
    select
        placement_id,
        activity_id,
        event,
        is_closing,
        occurred_at,
        occurred_date,
        amount
    from matched
    union all
    select
        placement_id,
        activity_id,
        event,
        is_closing,
        occurred_at,
        occurred_date,
        amount
    from agency_only
),

ranked as (
    select
        *,
        row_number() over (
            partition by placement_id order by occurred_at desc, activity_id desc
        ) as recency,
        row_number() over (
            partition by placement_id, is_closing order by occurred_at desc, activity_id desc
        ) as recency_of_kind
    from events
),

last_closing as (
    select
        placement_id,
        event,
        occurred_at,
        occurred_date
    from ranked
    where is_closing and recency_of_kind = 1
),

latest as (
    select
        placement_id,
        event,
        occurred_date,
        is_closing
    from ranked
    where recency = 1
),

event_totals as (
    select
        e.placement_id,
        sum(case when e.event = 'payment' then coalesce(e.amount, 0) else 0 end) as agency_collected,
        count(case when e.event = 'payment' then 1 end) as agency_payments,
        max(case when e.event = 'payment' then e.occurred_date end) as last_agency_payment_date,
        min(case when e.event = 'acknowledged' then e.occurred_date end) as acknowledged_date,
        min(e.occurred_date) as first_event_date,
        min(case when lc.occurred_at is null or e.occurred_at > lc.occurred_at then e.occurred_date end)
            as first_event_after_closing_date
    from events as e
    left join last_closing as lc on e.placement_id = lc.placement_id
    group by e.placement_id
),

pipeline as (
    select
        l.placement_id,
        'pipeline' as placement_source,
        l.batch_id,
        l.guarantor_id,
        l.encounter_id,
        l.placed_at as placed_date,
        l.balance_placed,
        l.bureau_reportable,
        l.status as ledger_status,
        case when l.recalled_at <= run.as_of_date then l.recalled_at end as recalled_at,
        l.recall_reason,
        l.policy_version as placement_policy_version,
        case
            when c.event = 'recall_ack' then 'recalled'
            when c.event is not null then c.event
            when l.status = 'recalled' or l.recalled_at <= run.as_of_date then 'recalled'
            else 'placed'
        end as status,
        case
            when c.event is not null then c.occurred_date
            when l.status = 'recalled' or l.recalled_at <= run.as_of_date then l.recalled_at
            else l.placed_at
        end as status_date,
        c.event as closing_event
    from ledger as l
    cross join run
    left join last_closing as c on l.placement_id = c.placement_id
),

agency as (
    select
        o.placement_id,
        'agency' as placement_source,
        cast(null as {{ dbt.type_string() }}) as batch_id,
        min(o.guarantor_id) as guarantor_id,
        case when count(distinct o.encounter_id) = 1 then min(o.encounter_id) end as encounter_id
    from agency_only as o
    group by o.placement_id
),

agency_placements as (
    select
        a.placement_id,
        a.placement_source,
        a.batch_id,
        a.guarantor_id,
        a.encounter_id,
        case when lt.is_closing then t.first_event_date
            else coalesce(t.first_event_after_closing_date, t.first_event_date)
        end as placed_date,
        cast(null as decimal(18, 2)) as balance_placed,
        cast(null as boolean) as bureau_reportable,
        cast(null as {{ dbt.type_string() }}) as ledger_status,
        cast(null as date) as recalled_at,
        cast(null as {{ dbt.type_string() }}) as recall_reason,
        cast(null as {{ dbt.type_string() }}) as placement_policy_version,
        case
            when lt.event = 'recall_ack' then 'recalled'
            when lt.is_closing then lt.event
            else 'placed'
        end as status,
        lt.occurred_date as status_date,
        case when lt.is_closing then lt.event end as closing_event
    from agency as a
    inner join latest as lt on a.placement_id = lt.placement_id
    inner join event_totals as t on a.placement_id = t.placement_id
),

placements as (
    select * from pipeline
    union all
    select * from agency_placements
)

select
    p.placement_id,
    p.placement_source,
    p.batch_id,
    p.guarantor_id,
    p.encounter_id,
    p.placed_date,
    p.balance_placed,
    p.bureau_reportable,
    p.ledger_status,
    p.recalled_at,
    p.recall_reason,
    p.placement_policy_version,
    p.status,
    p.status_date,
    p.status = 'placed' as is_open,
    p.closing_event,
    lt.event as latest_agency_event,
    lt.occurred_date as latest_agency_event_date,
    t.acknowledged_date,
    {{ money('coalesce(t.agency_collected, 0)') }} as agency_collected,
    coalesce(t.agency_payments, 0) as agency_payments,
    t.last_agency_payment_date
from placements as p
left join latest as lt on p.placement_id = lt.placement_id
left join event_totals as t on p.placement_id = t.placement_id

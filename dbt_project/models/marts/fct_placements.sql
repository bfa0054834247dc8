-- One row per placed account (OUTPUTS.md, DOMAIN.md §8): the pipeline's placement ledger
-- (rows placed or recalled, placed on or before the as-of date D) with the state the agency
-- reports back (stg_agency_activity dated on or before D). Agency events belong to a
-- placement by placement_id; an event without one belongs to the guarantor's placements
-- (the same encounter when both name one) placed on or before the event.
-- status, first rule that matches:
--   the latest closing agency event (by occurred_at, then activity_id): recall_ack →
--     recalled, closed_paid, closed_uncollectible;
--   the clinic recalled it (ledger recalled_at on or before D, or ledger status recalled) →
--     recalled (the agency has not acknowledged yet: is_recall_acknowledged false);
--   otherwise placed (acknowledged and payment events keep it placed).
-- is_acknowledged / acknowledged_date: the agency's first acknowledged event (the agency took
-- the account). agency_collected = Σ amount of the agency's payment events, agency_payments
-- their count, last_agency_payment_date the latest.
-- recall_reasons (DOMAIN.md §8 "pays in full, opens a dispute or gets hardship after placement
-- goes into a recall file"), for accounts still placed on D, sorted: dispute (a dispute of the
-- guarantor open on D), hardship (pending or active on D), paid_in_full (the placed encounter's
-- balance ≤ 0, or the guarantor's when the row names no encounter), deceased, bankrupt (on or
-- before D); needs_recall when any.
-- Agency activity for accounts the pipeline never placed (history before the pipeline)
-- has no row here; it still counts as "placed before" for eligibility (int_placement_history).
with run as (select {{ as_of_date() }} as as_of_date),
policy as (select policy_version from {{ ref('stg_policy') }}),
ledger as (
    select l.*
    from {{ ref('stg_placement_ledger') }} as l
    cross join run
    where l.status in ('placed', 'recalled') and l.placed_at <= run.as_of_date
),
activity as (
    select a.*
    from {{ ref('stg_agency_activity') }} as a
    cross join run
    where a.occurred_date <= run.as_of_date
),
matched as (
    select l.placement_id, a.activity_id, a.event, a.occurred_at, a.occurred_date, a.amount
    from ledger as l
    inner join activity as a
        on (a.placement_id = l.placement_id)
        or (
            a.placement_id is null
            and a.guarantor_id = l.guarantor_id
            and a.occurred_date >= l.placed_at
            and (a.encounter_id is null or l.encounter_id is null or a.encounter_id = l.encounter_id)
        )
),
closings as (
    select
        placement_id,
        event,
        occurred_date,
        row_number() over (
            partition by placement_id order by occurred_at desc, activity_id desc
        ) as recency
    from matched
    where event in ('recall_ack', 'closed_paid', 'closed_uncollectible')
),
latest as (
    select
        placement_id,
        event,
        occurred_date,
        row_number() over (
            partition by placement_id order by occurred_at desc, activity_id desc
        ) as recency
    from matched
),
encounter_balances as (
    select encounter_id, balance from {{ ref('fct_encounter_balances') }}
),
guarantor_balances as (
    select guarantor_id, balance from {{ ref('int_guarantor_balances') }}
),
open_disputes as (
    select distinct guarantor_id from {{ ref('int_dispute_status') }} where is_open
),
hardship as (
    select guarantor_id from {{ ref('int_hardship_status') }} where hardship_state in ('pending', 'active')
),
guarantor_flags as (
    select g.guarantor_id, g.deceased_date <= run.as_of_date as is_deceased,
           g.bankruptcy_filed_date <= run.as_of_date as is_bankrupt
    from {{ ref('stg_guarantors') }} as g
    cross join run
),
collected as (
    select
        placement_id,
        sum(case when event = 'payment' then coalesce(amount, 0) else 0 end) as agency_collected,
        count(case when event = 'payment' then 1 end) as agency_payments,
        max(case when event = 'payment' then occurred_date end) as last_agency_payment_date,
        min(case when event = 'acknowledged' then occurred_date end) as acknowledged_date
    from matched
    group by placement_id
),
stated as (
    select
        l.*,
        case
            when c.event = 'recall_ack' then 'recalled'
            when c.event is not null then c.event
            when l.status = 'recalled' or l.recalled_at <= run.as_of_date then 'recalled'
            else 'placed'
        end as placement_status,
        case
            when c.event is not null then c.occurred_date
            when l.status = 'recalled' or l.recalled_at <= run.as_of_date then l.recalled_at
            else l.placed_at
        end as status_date,
        c.event as closing_event,
        lt.event as latest_agency_event,
        lt.occurred_date as latest_agency_event_date,
        coalesce(col.agency_collected, 0) as agency_collected,
        coalesce(col.agency_payments, 0) as agency_payments,
        col.last_agency_payment_date,
        col.acknowledged_date,
        od.guarantor_id is not null as has_open_dispute,
        h.guarantor_id is not null as has_hardship,
        coalesce(gf.is_deceased, false) as is_deceased,
        coalesce(gf.is_bankrupt, false) as is_bankrupt,
        coalesce(
            case when l.encounter_id is not null then eb.balance else gb.balance end, 0
        ) <= 0 as is_paid_in_full,
        run.as_of_date
    from ledger as l
    cross join run
    left join closings as c on c.placement_id = l.placement_id and c.recency = 1
    left join latest as lt on lt.placement_id = l.placement_id and lt.recency = 1
    left join collected as col on col.placement_id = l.placement_id
    left join encounter_balances as eb on eb.encounter_id = l.encounter_id
    left join guarantor_balances as gb on gb.guarantor_id = l.guarantor_id
    left join open_disputes as od on od.guarantor_id = l.guarantor_id
    left join hardship as h on h.guarantor_id = l.guarantor_id
    left join guarantor_flags as gf on gf.guarantor_id = l.guarantor_id
),
recalls as (
    select
        *,
        case when placement_status = 'placed' then
            {{ dbt.concat([
                "case when has_open_dispute then ',dispute' else '' end",
                "case when has_hardship then ',hardship' else '' end",
                "case when is_paid_in_full then ',paid_in_full' else '' end",
                "case when is_deceased then ',deceased' else '' end",
                "case when is_bankrupt then ',bankrupt' else '' end",
            ]) }}
        else '' end as recall_list
    from stated
)
select
    recalls.placement_id,
    batch_id,
    guarantor_id,
    encounter_id,
    placed_at,
    balance_placed,
    bureau_reportable,
    placement_status as status,
    status_date,
    status as ledger_status,
    case when recalled_at <= as_of_date then recalled_at end as recalled_at,
    recall_reason,
    coalesce(closing_event = 'recall_ack', false) as is_recall_acknowledged,
    latest_agency_event,
    latest_agency_event_date,
    acknowledged_date is not null as is_acknowledged,
    acknowledged_date,
    {{ money('agency_collected') }} as agency_collected,
    agency_payments,
    last_agency_payment_date,
    recall_list <> '' as needs_recall,
    case when recall_list <> '' then substring(recall_list, 2, length(recall_list) - 1) end as recall_reasons,
    recalls.policy_version as placement_policy_version,
    recalls.as_of_date,
    policy.policy_version
from recalls
cross join policy

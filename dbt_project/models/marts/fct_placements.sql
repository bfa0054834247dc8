-- One row per placed account of the pipeline's placement ledger (docs/rules.md §8; docs/outputs.md): the
-- pipeline placements of int_placement_history (placed or recalled, placed on or before the
-- as-of date D) with their state from the agency's activity (docs/rules.md "Placement
-- history"), and the recall the clinic owes for an account still placed.
-- recall_reasons (docs/rules.md §8 "pays in full, opens a dispute or gets hardship after placement
-- goes into a recall file"), for accounts still placed on D, sorted: dispute (a dispute of the
-- guarantor open on D), hardship (pending or active on D), paid_in_full (the placed
-- encounter's balance ≤ 0, or the guarantor's when the row names no encounter), deceased,
-- bankrupt (on or before D) — int_protective_flags; needs_recall when any.
-- Agency activity for accounts the pipeline never placed has no row here; it still counts as
-- "placed before" for eligibility (int_protective_flags.was_placed_before).
with run as (select {{ as_of_date() }} as as_of_date),

policy as (select policy_version from {{ ref('stg_policy') }}),

placements as (
    select * from {{ ref('int_placement_history') }}
    where placement_source = 'pipeline'
),

flags as (select * from {{ ref('int_protective_flags') }}),

encounter_balances as (
    select
        encounter_id,
        balance
    from {{ ref('int_encounter_balances') }}
),

guarantor_balances as (
    select
        guarantor_id,
        balance
    from {{ ref('int_guarantor_balances') }}
),

stated as (
    select
        p.*,
        coalesce(f.has_open_dispute, false) as has_open_dispute,
        coalesce(f.hardship_state, 'none') in ('pending', 'active') as has_hardship,
        coalesce(f.is_deceased, false) as is_deceased,
        coalesce(f.is_bankrupt, false) as is_bankrupt,
        coalesce(
            case when p.encounter_id is not null then eb.balance else gb.balance end, 0
        ) <= 0 as is_paid_in_full
    from placements as p
    left join flags as f on p.guarantor_id = f.guarantor_id
    left join encounter_balances as eb on p.encounter_id = eb.encounter_id
    left join guarantor_balances as gb on p.guarantor_id = gb.guarantor_id
),

recalls as (
    select
        *,
        case when status = 'placed'
                then
            {{ dbt.concat([
                "case when has_open_dispute then ',dispute' else '' end",
                "case when has_hardship then ',hardship' else '' end",
                "case when is_paid_in_full then ',paid_in_full' else '' end",
                "case when is_deceased then ',deceased' else '' end",
                "case when is_bankrupt then ',bankrupt' else '' end",
            ]) }}
            else ''
        end as recall_list
    from stated
)

select
    r.placement_id,
    r.batch_id,
    r.guarantor_id,
    r.encounter_id,
    r.placed_date as placed_at,
    r.balance_placed,
    r.bureau_reportable,
    r.status,
    r.status_date,
    r.ledger_status,
    r.recalled_at,
    r.recall_reason,
    coalesce(r.closing_event = 'recall_ack', false) as is_recall_acknowledged,
    r.latest_agency_event,
    r.latest_agency_event_date,
    r.acknowledged_date is not null as is_acknowledged,
    r.acknowledged_date,
    r.agency_collected,
    r.agency_payments,
    r.last_agency_payment_date,
    r.recall_list <> '' as needs_recall,
    case when r.recall_list <> '' then substring(r.recall_list, 2, length(r.recall_list) - 1) end
        as recall_reasons,
    r.placement_policy_version,
    run.as_of_date,
    policy.policy_version
from recalls as r
cross join run
cross join policy

-- The placement ledger (ops.placement_ledger), written by the placement assets.
select
    placement_id,
    batch_id,
    guarantor_id,
    encounter_id,
    placed_at,
    {{ money('balance_placed') }} as balance_placed,
    bureau_reportable,
    policy_version,
    status,
    recalled_at,
    recall_reason,
    created_at
from {{ source('ops', 'placement_ledger') }}

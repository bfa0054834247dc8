select
    policy_version,
    level_order,
    max_discount_pct,
    approver
from {{ source('raw', 'policy_settlement_approval') }}

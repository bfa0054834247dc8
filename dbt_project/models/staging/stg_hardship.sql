select
    application_id,
    guarantor_id,
    submitted_at,
    submitted_date,
    decided_at,
    decided_date,
    outcome,
    relief,
    discount_pct,
    support_start as support_start_date,
    support_end as support_end_date,
    verified_by,
    updated_at
from {{ source('raw', 'hardship') }}

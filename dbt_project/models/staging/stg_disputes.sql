select
    dispute_id,
    guarantor_id,
    encounter_id,
    opened_at,
    opened_date,
    channel,
    reason,
    resolved_at,
    resolved_date,
    resolution,
    updated_at
from {{ source('raw', 'disputes') }}

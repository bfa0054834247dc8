select
    activity_id,
    placement_id,
    guarantor_id,
    encounter_id,
    event,
    occurred_at,
    occurred_date,
    amount,
    updated_at
from {{ source('raw', 'agency_activity') }}

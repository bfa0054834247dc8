select
    touch_id,
    guarantor_id,
    episode_start,
    step,
    channel,
    as_of_date,
    status,
    status_reason,
    planned_at,
    sent_at,
    provider_message_id,
    updated_at
from {{ source('ops', 'send_ledger') }}

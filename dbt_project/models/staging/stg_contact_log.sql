select
    contact_id,
    guarantor_id,
    occurred_at,
    occurred_date,
    channel,
    direction,
    outcome,
    promised_amount,
    promised_date,
    agent_id,
    updated_at
from {{ source('raw', 'contact_log') }}

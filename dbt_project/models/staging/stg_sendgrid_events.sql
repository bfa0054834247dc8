select
    sg_event_id,
    sg_message_id,
    event,
    event_at,
    touch_id,
    guarantor_id,
    email_sha256,
    reason,
    status,
    bounce_type,
    asm_group_id
from {{ source('raw', 'sendgrid_events') }}

select
    policy_version,
    step_order,
    day as step_day,
    step,
    channel
from {{ source('raw', 'policy_cadence') }}

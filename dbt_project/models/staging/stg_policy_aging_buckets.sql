select
    policy_version,
    bucket_order,
    aging_bucket,
    min_days,
    max_days
from {{ source('raw', 'policy_aging_buckets') }}

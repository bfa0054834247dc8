select
    file_name,
    kind,
    file_sha256,
    size_bytes,
    status,
    reason,
    rows_read,
    rows_loaded,
    rows_rejected,
    warnings,
    extra_columns,
    arrived_at,
    loaded_at,
    run_as_of_date,
    load_run_id
from {{ source('raw', 'file_ledger') }}

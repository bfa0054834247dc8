-- One row per landing file seen (raw.file_ledger); a file's modification time is its arrival.
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
    -- the file's modification time now (a re-sent file with the same name and bytes is
    -- recorded once, with its newest mtime): when its latest copy arrived
    {{ epoch_ns_to_timestamp('mtime_ns') }} as modified_at,
    loaded_at,
    run_as_of_date,
    load_run_id
from {{ source('raw', 'file_ledger') }}

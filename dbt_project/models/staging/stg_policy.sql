-- The effective policy (one row). Models cross join it instead of writing thresholds.
select * from {{ source('raw', 'policy') }}

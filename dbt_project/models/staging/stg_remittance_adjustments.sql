-- CAS adjustments of the 835 claims (claim and service level): group code (CO, PR, OA, PI,
-- CR) and the payer's claim adjustment reason code (CARC), amount signed as in the file.
select
    {{ dbt.concat(['file_sha256', "':'", dbt.safe_cast('claim_index', dbt.type_string())]) }}
        as remittance_claim_id,
    file_sha256,
    claim_index,
    level as adjustment_level,
    service_line_index,
    group_code,
    reason_code,
    amount,
    quantity
from {{ source('raw', 'remittance_adjustments') }}

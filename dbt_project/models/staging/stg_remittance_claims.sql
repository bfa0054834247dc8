-- One row per CLP of a loaded 835 transaction, with the order docs/rules.md §1 needs:
-- payment date, then file name, then position in the file.
select
    {{ dbt.concat(['c.file_sha256', "':'", dbt.safe_cast('c.claim_index', dbt.type_string())]) }}
        as remittance_claim_id,
    c.file_sha256,
    c.file_name,
    c.transaction_index,
    c.claim_index,
    nullif(trim(c.patient_control_number), '') as patient_control_number,
    c.claim_status,
    c.charge,
    c.paid,
    c.patient_responsibility,
    c.claim_filing_indicator,
    c.payer_claim_control_number,
    coalesce(c.pr_deductible, 0) as pr_deductible,
    coalesce(c.pr_coinsurance, 0) as pr_coinsurance,
    coalesce(c.pr_copay, 0) as pr_copay,
    coalesce(c.pr_other, 0) as pr_other,
    c.service_date_start,
    c.service_date_end,
    c.payer_id,
    c.payment_date,
    c.loaded_at
from {{ source('raw', 'remittance_claims') }} as c

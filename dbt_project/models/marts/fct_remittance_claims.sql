-- One row per 835 claim (CLP) of a loaded transaction paid on or before the as-of date.
with claims as (select * from {{ ref('int_remittance_claims_matched') }}),

policy as (select policy_version from {{ ref('stg_policy') }})

select
    claims.remittance_claim_id,
    claims.file_sha256,
    claims.file_name,
    claims.claim_index,
    claims.payer_id,
    claims.payment_date,
    claims.patient_control_number,
    claims.encounter_id,
    claims.guarantor_id,
    claims.claim_status,
    claims.payer_level,
    claims.is_reversal,
    {{ money('claims.charge') }} as charge,
    {{ money('claims.paid') }} as paid,
    {{ money('claims.patient_responsibility') }} as patient_responsibility,
    claims.payer_claim_control_number,
    {{ money('claims.pr_deductible') }} as pr_deductible,
    {{ money('claims.pr_coinsurance') }} as pr_coinsurance,
    {{ money('claims.pr_copay') }} as pr_copay,
    {{ money('claims.pr_other') }} as pr_other,
    claims.service_date_start,
    {{ as_of_date() }} as as_of_date,
    policy.policy_version
from claims
cross join policy

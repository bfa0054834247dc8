select
    encounter_id,
    guarantor_id,
    patient_id,
    service_date,
    provider_npi,
    location,
    specialty,
    total_charge,
    primary_payer_id,
    secondary_payer_id,
    primary_payer_id = 'SELFPAY' as is_self_pay,
    claim_submitted_at as claim_submitted_date,
    updated_at,
    _loaded_at as loaded_at
from {{ source('raw', 'encounters') }}

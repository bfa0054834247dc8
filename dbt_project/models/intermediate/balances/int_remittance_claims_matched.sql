-- Each 835 claim paid on or before the as-of date, matched to its encounter by CLP01
-- (trimmed) = encounter_id; unmatched claims keep a null encounter_id (a work item).
-- payer_level orders the payers: 1 primary (CLP02 1, 19, and 4 denials), 2 secondary (2, 20),
-- 3 tertiary (3, 21); 22 is a reversal; 25 (predetermination, no payment) never adjudicates.
with claims as (
    select * from {{ ref('stg_remittance_claims') }}
    where payment_date is null or payment_date <= {{ as_of_date() }}
),

encounters as (
    select
        encounter_id,
        guarantor_id
    from {{ ref('stg_encounters') }}
)

select
    c.*,
    e.encounter_id,
    e.guarantor_id,
    case
        when c.claim_status in ('2', '20') then 2
        when c.claim_status in ('3', '21') then 3
        else 1
    end as payer_level,
    c.claim_status = '22' as is_reversal
from claims as c
left join encounters as e on c.patient_control_number = e.encounter_id

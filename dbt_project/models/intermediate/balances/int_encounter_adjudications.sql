-- The adjudication chain of each encounter (docs/rules.md §1): claims in payment-date order
-- (ties: file name, then position in the file); a reversal (CLP02 = 22) cancels the latest
-- earlier adjudication with the same payer claim control number (CLP07); of what is left the
-- highest payer level wins (a secondary supersedes the primary whatever the dates), then the
-- latest. is_effective marks the one adjudication whose CLP05 is the patient responsibility.
with claims as (
    select
        *,
        row_number() over (
            partition by encounter_id
            order by payment_date, file_name, claim_index
        ) as chain_seq
    from {{ ref('int_remittance_claims_matched') }}
    where encounter_id is not null
        and payment_date is not null
        and claim_status <> '25'
),

reversals as (
    select
        encounter_id,
        payer_claim_control_number,
        chain_seq
    from claims
    where is_reversal
),

adjudications as (
    select * from claims
    where not is_reversal
),

cancelled as (
    select
        r.encounter_id,
        max(a.chain_seq) as cancelled_seq
    from reversals as r
    inner join adjudications as a
        on r.encounter_id = a.encounter_id
            and r.payer_claim_control_number = a.payer_claim_control_number
            and r.chain_seq > a.chain_seq
    group by r.encounter_id, r.chain_seq
),

surviving as (
    select a.*
    from adjudications as a
    where not exists (
            select 1 from cancelled as c
            where c.encounter_id = a.encounter_id and c.cancelled_seq = a.chain_seq
        )
),

ranked as (
    select
        *,
        row_number() over (
            partition by encounter_id order by payer_level desc, chain_seq desc
        ) as effective_rank
    from surviving
)

select
    remittance_claim_id,
    encounter_id,
    guarantor_id,
    chain_seq,
    payer_level,
    claim_status,
    payer_id,
    payment_date,
    patient_responsibility,
    pr_deductible,
    pr_coinsurance,
    pr_copay,
    pr_other,
    charge,
    paid,
    effective_rank = 1 as is_effective
from ranked

-- Every payer's part of each adjudicated encounter (docs/rules.md §1), for the statement's
-- summary box and "why you owe" (docs/outputs.md "Statements"):
--   insurance_paid: what every payer paid: the latest surviving adjudication of each payer level
--     (a reversal and the claim it cancels are gone), summed over the levels, so a secondary's
--     payment adds to the primary's instead of replacing it;
--   pr_*: the patient responsibility of the effective adjudication split by the payer's own
--     reasons, CAS group PR (claim and service level): deductible (CARC 1), coinsurance (2),
--     copay (3), other (every other PR reason), exact to the cent as in the 835.
with adjudications as (
    select
        *,
        row_number() over (
            partition by encounter_id, payer_level order by chain_seq desc
        ) as level_rank
    from {{ ref('int_encounter_adjudications') }}
),

paid as (
    select
        encounter_id,
        sum(paid) as insurance_paid,
        count(*) as payer_levels
    from adjudications
    where level_rank = 1
    group by encounter_id
),

patient_reasons as (
    select
        a.encounter_id,
        sum(case when adj.reason_code = '1' then adj.amount else 0 end) as pr_deductible,
        sum(case when adj.reason_code = '2' then adj.amount else 0 end) as pr_coinsurance,
        sum(case when adj.reason_code = '3' then adj.amount else 0 end) as pr_copay,
        sum(case when adj.reason_code not in ('1', '2', '3') then adj.amount else 0 end) as pr_other
    from adjudications as a
    inner join {{ ref('stg_remittance_adjustments') }} as adj
        on a.remittance_claim_id = adj.remittance_claim_id
            and adj.group_code = 'PR'
    where a.is_effective
    group by a.encounter_id
)

select
    p.encounter_id,
    p.insurance_paid,
    p.payer_levels,
    coalesce(r.pr_deductible, 0) as pr_deductible,
    coalesce(r.pr_coinsurance, 0) as pr_coinsurance,
    coalesce(r.pr_copay, 0) as pr_copay,
    coalesce(r.pr_other, 0) as pr_other
from paid as p
left join patient_reasons as r on p.encounter_id = r.encounter_id

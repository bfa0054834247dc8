-- Monthly root-cause view of disputes (issue 9, playbook "track repeat causes monthly"): the
-- disputes opened in each month on or before the as-of date, by dispute reason, by the payer
-- of the disputed encounter's effective adjudication and by that claim's main payer
-- adjustment reason (CARC: group code and reason code of its largest CAS adjustment, e.g.
-- PR-1 deductible, CO-45 contractual), so the clinic can fix causes upstream.
-- payer_id 'SELFPAY' for an uninsured visit, 'none' when the dispute names no encounter or the
-- encounter has no adjudication; carc 'none' when the claim has no adjustment.
with run as (select {{ as_of_date() }} as as_of_date),

disputes as (
    select d.*
    from {{ ref('int_dispute_status') }} as d
    cross join run
    where d.opened_date <= run.as_of_date
),

effective as (
    select
        encounter_id,
        remittance_claim_id,
        payer_id
    from {{ ref('int_encounter_adjudications') }}
    where is_effective
),

adjustments as (
    select
        remittance_claim_id,
        {{ dbt.concat(['group_code', "'-'", 'reason_code']) }} as carc,
        row_number() over (
            partition by remittance_claim_id
            order by abs(amount) desc, group_code, reason_code asc
        ) as carc_rank
    from {{ ref('stg_remittance_adjustments') }}
),

encounters as (
    select
        encounter_id,
        primary_payer_id
    from {{ ref('stg_encounters') }}
),

classified as (
    select
        cast({{ dbt.date_trunc('month', 'd.opened_date') }} as date) as dispute_month,
        coalesce(d.reason, 'other') as reason,
        case
            when d.encounter_id is null then 'none'
            when n.primary_payer_id = 'SELFPAY' then 'SELFPAY'
            else coalesce(e.payer_id, 'none')
        end as payer_id,
        coalesce(a.carc, 'none') as carc,
        d.is_open,
        d.resolved_date is not null as is_resolved,
        d.resolution,
        case when d.resolved_date is not null then d.age_days end as days_to_resolve
    from disputes as d
    left join encounters as n on d.encounter_id = n.encounter_id
    left join effective as e on d.encounter_id = e.encounter_id
    left join adjustments as a on e.remittance_claim_id = a.remittance_claim_id and a.carc_rank = 1
),

policy as (select policy_version from {{ ref('stg_policy') }})

select
    {{ dbt.hash(dbt.concat([
        dbt.safe_cast('c.dispute_month', dbt.type_string()), "'|'", 'c.reason', "'|'",
        'c.payer_id', "'|'", 'c.carc'
    ])) }} as root_cause_id,
    c.dispute_month,
    c.reason,
    c.payer_id,
    c.carc,
    count(*) as disputes_opened,
    sum(case when c.is_open then 1 else 0 end) as disputes_open,
    sum(case when c.is_resolved then 1 else 0 end) as disputes_resolved,
    sum(case when c.resolution in ('upheld', 'corrected') then 1 else 0 end) as resolved_in_patient_favour,
    avg(c.days_to_resolve) as avg_days_to_resolve,
    run.as_of_date,
    policy.policy_version
from classified as c
cross join run
cross join policy
group by c.dispute_month, c.reason, c.payer_id, c.carc, run.as_of_date, policy.policy_version

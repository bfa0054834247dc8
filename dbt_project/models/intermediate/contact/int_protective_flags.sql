-- The protective flags of every guarantor on the as-of date D (docs/rules.md §4, §8; docs/rules.md
-- "Protective flags"): what stops outreach, and placement, whatever else is due. One row per
-- guarantor of stg_guarantors; every consumer (holds, segments, placement, recalls,
-- settlements, the placement gate) reads these columns.
--   has_open_dispute: a dispute open on D (int_dispute_status);
--   hardship_state: pending (submitted, no decision by D) or active (approved, D within the
--     support period) — int_hardship_status;
--   is_deceased / is_bankrupt: deceased_at / bankruptcy_filed_at on or before D;
--   is_placed: a placement (int_placement_history) placed on or before D still open on D;
--   was_placed_before: any placement dated before D, open or not, by the pipeline or known
--     only from the agency (so a re-run of D gives the same placement eligibility);
--     has_open_placement_before: one of those still open on D;
--   is_on_hold / hold_reasons: a guarantor hold of the cadence (dispute, hardship pending or
--     active, deceased, bankrupt, placed), rule names sorted and comma-separated.
with run as (select {{ as_of_date() }} as as_of_date),

guarantors as (select * from {{ ref('stg_guarantors') }}),

disputes as (
    select
        guarantor_id,
        count(*) as open_disputes
    from {{ ref('int_dispute_status') }}
    where is_open
    group by guarantor_id
),

hardship as (select * from {{ ref('int_hardship_status') }}),

placements as (
    select
        p.guarantor_id,
        max(case when p.is_open then 1 else 0 end) = 1 as is_placed,
        min(case when p.is_open then p.placed_date end) as placed_date,
        max(case when p.placed_date < run.as_of_date then 1 else 0 end) = 1 as was_placed_before,
        max(case when p.placed_date < run.as_of_date then p.placed_date end) as last_placed_before_date,
        max(case when p.is_open and p.placed_date < run.as_of_date then 1 else 0 end) = 1
            as has_open_placement_before,
        max(case when p.is_open then p.placement_id end) as open_placement_id
    from {{ ref('int_placement_history') }} as p
    cross join run
    group by p.guarantor_id
),

flags as (
    select
        g.guarantor_id,
        g.household_id,
        coalesce(d.open_disputes, 0) as open_disputes,
        coalesce(d.open_disputes, 0) > 0 as has_open_dispute,
        coalesce(h.hardship_state, 'none') as hardship_state,
        h.application_id as hardship_application_id,
        h.review_due_date as hardship_review_due_date,
        coalesce(g.deceased_date <= run.as_of_date, false) as is_deceased,
        coalesce(g.bankruptcy_filed_date <= run.as_of_date, false) as is_bankrupt,
        coalesce(p.is_placed, false) as is_placed,
        p.placed_date,
        p.open_placement_id,
        coalesce(p.was_placed_before, false) as was_placed_before,
        coalesce(p.has_open_placement_before, false) as has_open_placement_before,
        p.last_placed_before_date,
        run.as_of_date
    from guarantors as g
    cross join run
    left join disputes as d on g.guarantor_id = d.guarantor_id
    left join hardship as h on g.guarantor_id = h.guarantor_id
    left join placements as p on g.guarantor_id = p.guarantor_id
),

listed as (
    select
        f.*,
        {{ dbt.concat([
            "case when f.is_bankrupt then ',bankrupt' else '' end",
            "case when f.is_deceased then ',deceased' else '' end",
            "case when f.hardship_state = 'active' then ',hardship_active' else '' end",
            "case when f.hardship_state = 'pending' then ',hardship_pending' else '' end",
            "case when f.has_open_dispute then ',open_dispute' else '' end",
            "case when f.is_placed then ',placed' else '' end",
        ]) }} as hold_list
    from flags as f
)

select
    guarantor_id,
    household_id,
    open_disputes,
    has_open_dispute,
    hardship_state,
    hardship_application_id,
    hardship_review_due_date,
    is_deceased,
    is_bankrupt,
    is_placed,
    placed_date,
    open_placement_id,
    was_placed_before,
    has_open_placement_before,
    last_placed_before_date,
    hold_list <> '' as is_on_hold,
    case when hold_list <> '' then substring(hold_list, 2, length(hold_list) - 1) end as hold_reasons,
    as_of_date
from listed

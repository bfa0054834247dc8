-- Placements made before the as-of date D, per guarantor (DOMAIN.md §8 "not placed before D",
-- so a re-run of D gives the same eligibility: a placement dated D itself is not "before D").
-- Two sources:
--   * the pipeline's placement ledger (stg_placement_ledger): rows with status placed or
--     recalled and placed_at < D;
--   * what the agency reports back (stg_agency_activity) dated before D: accounts placed
--     before the pipeline existed, or by hand.
-- A placement is still open on D when it was not recalled before D (ledger recalled_at) and
-- the agency reported no closing event (recall_ack, closed_paid, closed_uncollectible) for it
-- before D; for agency-only history the guarantor's latest agency event before D decides.
-- One row per guarantor with any placement before D.
with run as (select {{ as_of_date() }} as as_of_date),
ledger as (
    select l.*
    from {{ ref('stg_placement_ledger') }} as l
    cross join run
    where l.status in ('placed', 'recalled')
      and l.placed_at < run.as_of_date
),
activity as (
    select
        a.*,
        a.event in ('recall_ack', 'closed_paid', 'closed_uncollectible') as is_closing
    from {{ ref('stg_agency_activity') }} as a
    cross join run
    where a.occurred_date < run.as_of_date
),
ledger_state as (
    select
        l.guarantor_id,
        l.placement_id,
        l.placed_at,
        (l.recalled_at is null or l.recalled_at >= run.as_of_date)
            and not exists (
                select 1 from activity as a
                where a.placement_id = l.placement_id and a.is_closing
            ) as is_open
    from ledger as l
    cross join run
),
agency_ranked as (
    select
        guarantor_id,
        occurred_date,
        is_closing,
        row_number() over (
            partition by guarantor_id order by occurred_at desc, activity_id desc
        ) as recency
    from activity
),
agency_state as (
    select
        guarantor_id,
        min(occurred_date) as first_activity_date,
        max(occurred_date) as last_activity_date,
        max(case when recency = 1 and not is_closing then 1 else 0 end) = 1 as is_open
    from agency_ranked
    group by guarantor_id
),
ledger_by_guarantor as (
    select
        guarantor_id,
        min(placed_at) as first_placed_date,
        max(placed_at) as last_placed_date,
        count(*) as ledger_placements,
        max(case when is_open then 1 else 0 end) = 1 as is_open
    from ledger_state
    group by guarantor_id
),
guarantors as (
    select guarantor_id from ledger_by_guarantor
    union
    select guarantor_id from agency_state
)
select
    g.guarantor_id,
    coalesce(l.ledger_placements, 0) as ledger_placements,
    l.last_placed_date as last_ledger_placed_date,
    a.last_activity_date as last_agency_activity_date,
    case
        when l.last_placed_date is null then a.last_activity_date
        when a.last_activity_date is null then l.last_placed_date
        when l.last_placed_date > a.last_activity_date then l.last_placed_date
        else a.last_activity_date
    end as last_placement_event_date,
    coalesce(l.is_open, false) or coalesce(a.is_open, false) as is_placement_open
from guarantors as g
left join ledger_by_guarantor as l on l.guarantor_id = g.guarantor_id
left join agency_state as a on a.guarantor_id = g.guarantor_id

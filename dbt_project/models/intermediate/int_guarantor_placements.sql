-- Whether a guarantor is placed with the collection agency on the as-of date. For now from
-- what the agency reports back (stg_agency_activity): placed when the guarantor has agency
-- activity on or before the as-of date and the latest event (by occurred_at, then
-- activity_id) is not a closing one (closed_paid, closed_uncollectible, recall_ack).
-- placed_date = first activity after the last closing event. Also placed: a placement the
-- pipeline made itself (ops.placement_ledger, status placed, placed_at <= as-of) that the
-- agency has not closed or acknowledged as recalled since.
with run as (select {{ as_of_date() }} as as_of_date),
activity as (
    select a.*
    from {{ ref('stg_agency_activity') }} as a
    cross join run
    where a.occurred_date <= run.as_of_date
),
ranked as (
    select
        *,
        row_number() over (
            partition by guarantor_id order by occurred_at desc, activity_id desc
        ) as recency,
        event in ('closed_paid', 'closed_uncollectible', 'recall_ack') as is_closing
    from activity
),
last_close as (
    select guarantor_id, max(occurred_at) as closed_at
    from ranked
    where is_closing
    group by guarantor_id
),
current_placement as (
    select r.guarantor_id, min(r.occurred_date) as placed_date
    from ranked as r
    left join last_close as c on c.guarantor_id = r.guarantor_id
    where c.closed_at is null or r.occurred_at > c.closed_at
    group by r.guarantor_id
),
latest as (select * from ranked where recency = 1),
agency as (
    select
        latest.guarantor_id,
        not latest.is_closing as is_placed,
        case when not latest.is_closing then p.placed_date end as placed_date,
        latest.placement_id,
        latest.event as latest_event,
        latest.occurred_date as latest_event_date
    from latest
    left join current_placement as p on p.guarantor_id = latest.guarantor_id
),
pipeline as (
    select l.guarantor_id, min(l.placed_at) as placed_date, min(l.placement_id) as placement_id
    from {{ ref('stg_placement_ledger') }} as l
    cross join run
    left join last_close as c on c.guarantor_id = l.guarantor_id
    where l.status = 'placed'
      and l.placed_at <= run.as_of_date
      and (c.closed_at is null or cast(c.closed_at as date) < l.placed_at)
    group by l.guarantor_id
),
guarantors as (
    select guarantor_id from agency
    union
    select guarantor_id from pipeline
)
select
    g.guarantor_id,
    coalesce(a.is_placed, false) or pl.guarantor_id is not null as is_placed,
    case
        when coalesce(a.is_placed, false) and pl.guarantor_id is not null
            then case when a.placed_date < pl.placed_date then a.placed_date else pl.placed_date end
        when coalesce(a.is_placed, false) then a.placed_date
        else pl.placed_date
    end as placed_date,
    coalesce(a.placement_id, pl.placement_id) as placement_id,
    a.latest_event,
    a.latest_event_date
from guarantors as g
left join agency as a on a.guarantor_id = g.guarantor_id
left join pipeline as pl on pl.guarantor_id = g.guarantor_id

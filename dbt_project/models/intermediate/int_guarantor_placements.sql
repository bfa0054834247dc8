-- Whether a guarantor is placed with the collection agency on the as-of date. For now from
-- what the agency reports back (stg_agency_activity): placed when the guarantor has agency
-- activity on or before the as-of date and the latest event (by occurred_at, then
-- activity_id) is not a closing one (closed_paid, closed_uncollectible, recall_ack).
-- placed_date = first activity after the last closing event. A later issue adds the
-- pipeline's own placements here (one union).
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
latest as (select * from ranked where recency = 1)
select
    latest.guarantor_id,
    not latest.is_closing as is_placed,
    case when not latest.is_closing then p.placed_date end as placed_date,
    latest.placement_id,
    latest.event as latest_event,
    latest.occurred_date as latest_event_date
from latest
left join current_placement as p on p.guarantor_id = latest.guarantor_id

-- docs/rules.md §3: every guarantor with a balance > 0 has exactly one segment, and a guarantor
-- with a balance ≤ 0 has none. Returns the guarantors that break it.
{{ config(meta={'dagster': {'ref': {'name': 'dim_guarantor_status'}}}) }}
with positive as (
    select guarantor_id from {{ ref('int_guarantor_balances') }}
    where balance > 0
),

segments as (
    select
        guarantor_id,
        count(segment) as segments
    from {{ ref('dim_guarantor_status') }}
    group by guarantor_id
)

select
    p.guarantor_id,
    coalesce(s.segments, 0) as segments,
    'balance > 0' as problem
from positive as p
left join segments as s on p.guarantor_id = s.guarantor_id
where coalesce(s.segments, 0) <> 1
union all
select
    guarantor_id,
    1 as segments,
    'segment on a balance <= 0' as problem
from {{ ref('dim_guarantor_status') }}
where balance <= 0 and (segment is not null or tier is not null)

-- docs/rules.md §9: every work item has a priority ≥ 1; the mini-audit draws exactly
-- min(queues_audit_draw_size, guarantors with a balance > 0) guarantors, each once.
with policy as (select queues_audit_draw_size from {{ ref('stg_policy') }}),

items as (select * from {{ ref('fct_queue_items') }}),

open_guarantors as (
    select count(*) as n from {{ ref('dim_guarantor_status') }}
    where balance > 0
),

drawn as (
    select
        count(*) as n,
        count(distinct guarantor_id) as distinct_n
    from items
    where queue = 'mini_audit'
)

select
    'priority' as problem,
    item_id
from items
where priority < 1
union all
select
    'audit_draw_size',
    cast(null as {{ dbt.type_string() }})
from drawn
cross join policy
cross join open_guarantors as o
where drawn.n <> drawn.distinct_n
    or drawn.n <> case when o.n < policy.queues_audit_draw_size then o.n else policy.queues_audit_draw_size end

-- The weekly huddle (docs/rules.md §10, playbook: "wins first, slips second, one change for next
-- week"): for the latest complete week (the last week ending on or before the as-of date),
-- every KPI of the scorecard (segment 'all') with this week's and last week's value.
--   change = this − last (null when either is null); relative_change = change ÷ |last|
--   (null when last is 0 or null).
--   direction_is_healthy: the KPI moved the healthy way — down: change < 0; up: change > 0;
--     stable_or_down: change ≤ 0 (holding steady is healthy); null when change is null.
--   section: win (moved the healthy way), slip (moved the other way), flat (no change, or no
--     value to compare); section_order puts wins first, then slips, then flat.
--   suggested change: the slip with the largest |relative_change| (a slip from 0 has no
--     relative change and ranks after those that have one, by |change|; ties by kpi_order)
--     carries is_suggested_change and the KPI's suggested_change text (seed scorecard_kpis).
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        policy_version
    from {{ ref('stg_policy') }}
),

this_week as (
    select max(week_ending) as week_ending
    from {{ ref('int_scorecard_weeks') }}
    where is_complete
),

kpis as (select * from {{ ref('scorecard_kpis') }}),

scorecard as (
    select * from {{ ref('rpt_weekly_scorecard') }}
    where segment = 'all'
),

compared as (
    select
        t.week_ending,
        cast({{ dbt.dateadd('day', -7, 't.week_ending') }} as date) as previous_week_ending,
        k.kpi,
        k.kpi_order,
        k.unit,
        k.healthy_direction,
        k.suggested_change as suggestion_text,
        cur.value as this_week_value,
        prev.value as last_week_value,
        cur.value - prev.value as change
    from this_week as t
    cross join kpis as k
    left join scorecard as cur on t.week_ending = cur.week_ending and k.kpi = cur.kpi
    left join scorecard as prev
        on prev.week_ending = cast({{ dbt.dateadd('day', -7, 't.week_ending') }} as date)
            and k.kpi = prev.kpi
),

judged as (
    select
        *,
        case when last_week_value <> 0 then change / abs(last_week_value) end as relative_change,
        case
            when change is null then null
            when healthy_direction = 'up' then change > 0
            when healthy_direction = 'down' then change < 0
            else change <= 0
        end as direction_is_healthy
    from compared
),

sectioned as (
    select
        *,
        case
            when change is null or change = 0 then 'flat'
            when direction_is_healthy then 'win'
            else 'slip'
        end as section
    from judged
),

ranked as (
    select
        *,
        case section when 'win' then 1 when 'slip' then 2 else 3 end as section_order,
        row_number() over (
            partition by case when section = 'slip' then 1 else 0 end
            order by
                case when relative_change is null then 1 else 0 end,
                abs(relative_change) desc,
                abs(change) desc,
                kpi_order
        ) as slip_rank
    from sectioned
)

select
    r.week_ending,
    r.previous_week_ending,
    r.kpi,
    r.kpi_order,
    r.unit,
    r.healthy_direction,
    r.this_week_value,
    r.last_week_value,
    r.change,
    cast(r.relative_change as {{ dbt.type_numeric() }}) as relative_change,
    r.direction_is_healthy,
    r.section,
    r.section_order,
    r.section = 'slip' and r.slip_rank = 1 as is_suggested_change,
    case when r.section = 'slip' and r.slip_rank = 1 then r.suggestion_text end as suggested_change,
    run.as_of_date,
    run.policy_version
from ranked as r
cross join run

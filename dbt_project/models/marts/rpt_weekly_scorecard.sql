-- The weekly KPI scorecard (docs/rules.md §10 "Scorecard"; docs/outputs.md): week ×
-- segment × KPI.
-- Weeks end on the policy's kpi_week_ends_on (Sunday): the week holding the as-of date D
-- (partial, is_complete_week false, data through D) and up to scorecard_weeks() (13) weeks
-- before it, each listed only when it has data (any observation of int_scorecard_facts).
-- segment 'all' lists every KPI of scorecard_kpis for every such week (value null when
-- undefined: no observation, or a zero denominator). Per-segment rows, for the KPIs with
-- by_segment, only where the segment has observations that week; a week's facts belong to
-- the guarantor's segment at the week's start (int_guarantor_segments on the day before the
-- week starts; 'no_open_balance' when the guarantor had no balance > 0 then), so a guarantor
-- who pays off during the week keeps the dollars in the segment they were collected from.
-- ratio KPIs: numerator = Σ, denominator = Σ, value = numerator ÷ denominator × scale
--   (scale 1000 for complaints per 1,000 contacts, 100 for the percent-placed KPIs).
-- sum KPIs (agency_recoveries): numerator = Σ, denominator = the count of observations,
--   value = numerator × scale (dollars for agency_recoveries).
-- median KPIs (days_to_first_contact, dispute_resolution_time, era_posting_lag_hours):
--   value = the median of the week's observations (the dispatched median() macro),
--   denominator = their count, numerator null.
-- target_value: the policy's kpi_era_posting_lag_target_hours for the ERA lag, else null.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        policy_version,
        kpi_era_posting_lag_target_hours
    from {{ ref('stg_policy') }}
),

kpis as (select * from {{ ref('scorecard_kpis') }}),

weeks as (select * from {{ ref('int_scorecard_weeks') }}),

facts as (
    -- the observations with their week and the segment at the week's start
    select
        week_ending,
        kpi,
        guarantor_id,
        segment,
        numerator,
        denominator,
        measure
    from {{ ref('fct_scorecard_observations') }}
),

weeks_with_data as (
    select w.*
    from weeks as w
    where exists (
            select 1 from facts as f
            where f.week_ending = w.week_ending
        )
),

scoped as (
    select
        week_ending,
        'all' as segment,
        kpi,
        numerator,
        denominator,
        measure
    from facts
    union all
    select
        f.week_ending,
        f.segment,
        f.kpi,
        f.numerator,
        f.denominator,
        f.measure
    from facts as f
    inner join kpis as k on f.kpi = k.kpi
    where k.by_segment and f.segment is not null
),

ratios as (
    select
        s.week_ending,
        s.segment,
        s.kpi,
        sum(s.numerator) as numerator,
        sum(s.denominator) as denominator,
        cast(null as {{ dbt.type_numeric() }}) as median_value,
        count(*) as observations
    from scoped as s
    inner join kpis as k on s.kpi = k.kpi
    where k.aggregation in ('ratio', 'sum')
    group by s.week_ending, s.segment, s.kpi
),

medians as (
    select
        s.week_ending,
        s.segment,
        s.kpi,
        cast(null as {{ dbt.type_numeric() }}) as numerator,
        cast(count(s.measure) as {{ dbt.type_numeric() }}) as denominator,
        cast({{ median('s.measure') }} as {{ dbt.type_numeric() }}) as median_value,
        count(*) as observations
    from scoped as s
    inner join kpis as k on s.kpi = k.kpi
    where k.aggregation = 'median'
    group by s.week_ending, s.segment, s.kpi
),

aggregated as (
    select * from ratios
    union all
    select * from medians
),

grid as (
    -- every KPI for segment 'all' in every week with data; segments where they have data
    select
        w.week_ending,
        'all' as segment,
        k.kpi
    from weeks_with_data as w
    cross join kpis as k
    union
    select
        a.week_ending,
        a.segment,
        a.kpi
    from aggregated as a
    inner join weeks_with_data as w on a.week_ending = w.week_ending
    where a.segment <> 'all'
)

select
    {{ dbt.concat([dbt.safe_cast('g.week_ending', dbt.type_string()), "'|'", 'g.segment', "'|'", 'g.kpi']) }}
        as scorecard_id,
    g.week_ending,
    w.week_start,
    w.is_complete as is_complete_week,
    g.segment,
    g.kpi,
    k.kpi_order,
    cast(
        case
            when k.aggregation = 'median' then a.median_value
            when k.aggregation = 'sum' then a.numerator * k.scale
            when a.denominator <> 0 then a.numerator * k.scale / a.denominator
        end as {{ dbt.type_numeric() }}
    ) as value,
    cast(a.numerator as {{ dbt.type_numeric() }}) as numerator,
    cast(
        case when k.aggregation = 'median' then coalesce(a.denominator, 0) else a.denominator end
        as {{ dbt.type_numeric() }}
    ) as denominator,
    k.scale,
    k.unit,
    k.aggregation,
    k.healthy_direction,
    coalesce(a.observations, 0) as observations,
    case when g.kpi = 'era_posting_lag_hours' then run.kpi_era_posting_lag_target_hours end
        as target_value,
    run.as_of_date,
    run.policy_version
from grid as g
cross join run
inner join kpis as k on g.kpi = k.kpi
inner join weeks as w on g.week_ending = w.week_ending
left join aggregated as a
    on g.week_ending = a.week_ending and g.segment = a.segment and g.kpi = a.kpi

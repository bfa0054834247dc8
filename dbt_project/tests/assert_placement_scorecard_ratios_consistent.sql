-- docs/rules.md §10: for every ratio KPI of the scorecard, value = numerator ÷ denominator × scale
-- (null when the denominator is 0 or missing); for every median KPI the numerator is null and
-- the denominator counts the observations (value null when there is none).
select *
from {{ ref('rpt_weekly_scorecard') }}
where (
    aggregation = 'ratio'
    and (
        (denominator is null or denominator = 0) and value is not null
        or denominator <> 0 and (
            value is null
            or abs(value - numerator * scale / denominator) > 0.00001
        )
    )
)
or (
    aggregation = 'median'
    and (
        numerator is not null
        or (denominator = 0 and value is not null)
        or (denominator > 0 and value is null)
    )
)

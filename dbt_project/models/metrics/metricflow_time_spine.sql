-- MetricFlow's time spine (docs/metrics.md): one row per calendar day, 2015-01-01 through
-- 2044-12-31, which MetricFlow joins to for cumulative metrics and to fill time grains.
-- Portable SQL (the project's numbers() macro and dbt.dateadd), so it builds on Spark too.
select cast({{ dbt.dateadd('day', 'seq.num', "cast('2015-01-01' as date)") }} as date) as date_day
from {{ numbers(10958) }} as seq

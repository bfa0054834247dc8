{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'int_business_days'}}}) }}
-- The business-day calendar (seed business_holidays) must reach well past the as-of date, or
-- refund due dates cannot be computed: extend the seed when this warns.
select max(calendar_date) as last_calendar_date
from {{ ref('int_business_days') }}
having max(calendar_date) < cast({{ dbt.dateadd('day', 90, as_of_date()) }} as date)

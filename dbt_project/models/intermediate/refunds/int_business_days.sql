-- A calendar of every date in the years the holiday seed covers, with the weekday and whether
-- it is a business day (Mon–Fri, not a US federal holiday as observed). The seed
-- business_holidays is generated from the maintained `holidays` package
-- (python -m orchestration.warehouse.business_calendar), not typed by hand. business_day_seq counts
-- the business days on or before the date, so "N business days after d" is the first business
-- day whose seq is seq(d) + N (docs/rules.md §7 refund due dates).
with holidays as (
    select
        holiday_date,
        holiday_year,
        holiday_name
    from {{ ref('business_holidays') }}
),

bounds as (
    select
        cast({{ dbt.concat(["cast(min(holiday_year) as " ~ dbt.type_string() ~ ")", "'-01-01'"]) }} as date)
            as start_date,
        cast({{ dbt.concat(["cast(max(holiday_year) as " ~ dbt.type_string() ~ ")", "'-12-31'"]) }} as date)
            as end_date
    from holidays
),

dates as (
    select cast({{ dbt.dateadd('day', 'seq.num', 'bounds.start_date') }} as date) as calendar_date
    from bounds
    cross join {{ numbers(10000) }} as seq
    where seq.num <= {{ days_between('bounds.start_date', 'bounds.end_date') }}
),

-- 1970-01-05 was a Monday: weekday_number 0 = Monday … 6 = Sunday
weekdays as (
    select
        calendar_date,
        {{ days_between("cast('1970-01-05' as date)", 'calendar_date') }} as days_from_monday
    from dates
),

flagged as (
    select
        w.calendar_date,
        w.days_from_monday - 7 * cast(floor(w.days_from_monday / 7.0) as integer) as weekday_number,
        h.holiday_name
    from weekdays as w
    left join holidays as h on w.calendar_date = h.holiday_date
),

business as (
    select
        calendar_date,
        weekday_number,
        case weekday_number
            when 0 then 'monday' when 1 then 'tuesday' when 2 then 'wednesday'
            when 3 then 'thursday' when 4 then 'friday' when 5 then 'saturday' else 'sunday'
        end as weekday_name,
        holiday_name is not null as is_holiday,
        holiday_name,
        weekday_number < 5 and holiday_name is null as is_business_day
    from flagged
)

select
    calendar_date,
    weekday_number,
    weekday_name,
    is_holiday,
    holiday_name,
    is_business_day,
    sum(case when is_business_day then 1 else 0 end) over (
        order by calendar_date rows between unbounded preceding and current row
    ) as business_day_seq
from business

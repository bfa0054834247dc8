{#- Calendar helpers of the weekly scorecard (docs/rules.md §10), portable SQL only. -#}

{#- Weekday number of a DATE expression: 0 = Monday … 6 = Sunday (1970-01-05 was a Monday). -#}
{% macro weekday_number(date_expr) -%}
    {%- set days = days_between("cast('1970-01-05' as date)", date_expr) -%}
    ({{ days }} - 7 * cast(floor({{ days }} / 7.0) as integer))
{%- endmacro %}

{#- Weekday number (0 = Monday) of a weekday name expression (the policy's kpi_week_ends_on). -#}
{% macro weekday_index(name_expr) -%}
    case lower({{ name_expr }})
        when 'monday' then 0 when 'tuesday' then 1 when 'wednesday' then 2
        when 'thursday' then 3 when 'friday' then 4 when 'saturday' then 5 else 6
    end
{%- endmacro %}

{#- The last day of the week holding `date_expr`, for weeks ending on weekday `end_index_expr`
    (0 = Monday … 6 = Sunday): date + ((end − weekday + 7) mod 7). -#}
{% macro week_ending(date_expr, end_index_expr) -%}
    {%- set shift = '(' ~ end_index_expr ~ ' - ' ~ weekday_number(date_expr) ~ ' + 7)' -%}
    cast({{ dbt.dateadd('day', shift ~ ' - 7 * cast(floor(' ~ shift ~ ' / 7.0) as integer)', date_expr) }} as date)
{%- endmacro %}

{#- How many complete weeks the scorecard keeps before the as-of week, and the trailing window
    of percent_placed_trailing_13w. docs/rules.md §10 fixes it at 13 ("trailing 13 weeks"); it is a
    report window, not a policy threshold (the policy file has no key for it). -#}
{% macro scorecard_weeks() -%}13{%- endmacro %}

{#- How many monthly cohorts rpt_cohort_yield follows: the cohort of the as-of date's month and
    the months before it, a year in all (a report window, not a policy threshold). -#}
{% macro cohort_months() -%}12{%- endmacro %}

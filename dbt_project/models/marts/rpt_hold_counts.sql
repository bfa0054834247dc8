-- Held touches of the as-of date counted by rule, step and channel: the hold report without
-- identifiers, for the analytics serving file and BI tools.
select
    rule,
    citation,
    step,
    channel,
    count(*) as touches,
    as_of_date,
    policy_version
from {{ ref('rpt_hold_report') }}
group by rule, citation, step, channel, as_of_date, policy_version

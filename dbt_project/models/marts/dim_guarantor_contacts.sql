-- Who staff call about a queue item or a held touch: name and contact details of every
-- guarantor with a balance ≠ 0. Published only to the staff serving file (never analytics).
select
    s.guarantor_id,
    s.household_id,
    g.first_name,
    g.last_name,
    g.phone,
    g.email,
    g.timezone,
    g.preferred_channel,
    s.as_of_date,
    s.policy_version
from {{ ref('dim_guarantor_status') }} as s
inner join {{ ref('stg_guarantors') }} as g on s.guarantor_id = g.guarantor_id

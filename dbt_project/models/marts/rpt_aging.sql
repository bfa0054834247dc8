-- Aging buckets on encounter balances > 0 (docs/rules.md §2): encounters, guarantors (each
-- counted once, in the bucket of the guarantor's age = their oldest open encounter), dollars.
-- Every bucket of the policy has a row, zeros included.
with buckets as (select * from {{ ref('stg_policy_aging_buckets') }}),

open_encounters as (
    select * from {{ ref('fct_encounter_balances') }}
    where balance > 0
),

by_encounter as (
    select
        aging_bucket,
        count(*) as encounters,
        sum(balance) as dollars
    from open_encounters
    group by aging_bucket
),

guarantor_age as (
    select
        guarantor_id,
        max(age_days) as age_days
    from open_encounters
    group by guarantor_id
),

by_guarantor as (
    select
        buckets.aging_bucket,
        count(*) as guarantors
    from guarantor_age as g
    inner join buckets
        on g.age_days >= buckets.min_days
            and (buckets.max_days is null or g.age_days <= buckets.max_days)
    group by buckets.aging_bucket
)

select
    buckets.aging_bucket,
    buckets.bucket_order,
    coalesce(e.encounters, 0) as encounters,
    coalesce(g.guarantors, 0) as guarantors,
    {{ money('coalesce(e.dollars, 0)') }} as dollars,
    {{ as_of_date() }} as as_of_date,
    buckets.policy_version
from buckets
left join by_encounter as e on buckets.aging_bucket = e.aging_bucket
left join by_guarantor as g on buckets.aging_bucket = g.aging_bucket

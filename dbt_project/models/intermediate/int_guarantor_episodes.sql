-- The open collection episode of every guarantor with a balance > 0 on the as-of date
-- (DOMAIN.md §1: a balance that drops to 0 or below closes the episode; turning positive again
-- starts a new one). The guarantor's running balance is rebuilt from dated events:
--   * each encounter's patient responsibility, at its balance date;
--   * each posting on such an encounter, at max(posted_date, balance_date) (postings wait on
--     an insurance-pending encounter until it adjudicates);
--   * each on-account posting (no encounter), at its posted date;
-- netted per day and summed in date order. episode_start = the last day on which the running
-- balance went from ≤ 0 to > 0. The events sum to int_guarantor_balances.balance.
with run as (select {{ as_of_date() }} as as_of_date),
balances as (
    select * from {{ ref('int_guarantor_balances') }} where balance > 0
),
encounters as (
    select encounter_id, guarantor_id, patient_responsibility, balance_date
    from {{ ref('fct_encounter_balances') }}
),
postings as (
    select t.*
    from {{ ref('stg_patient_transactions') }} as t
    cross join run
    where t.posted_date <= run.as_of_date
),
events as (
    select guarantor_id, balance_date as event_date, patient_responsibility as amount
    from encounters
    union all
    select
        e.guarantor_id,
        case when p.posted_date > e.balance_date then p.posted_date else e.balance_date end
            as event_date,
        p.balance_effect as amount
    from postings as p
    inner join encounters as e on e.encounter_id = p.encounter_id
    union all
    select guarantor_id, posted_date as event_date, balance_effect as amount
    from postings
    where encounter_id is null
),
daily as (
    select guarantor_id, event_date, sum(amount) as net_amount
    from events
    where guarantor_id in (select guarantor_id from balances)
    group by guarantor_id, event_date
),
running as (
    select
        guarantor_id,
        event_date,
        net_amount,
        sum(net_amount) over (
            partition by guarantor_id order by event_date
            rows between unbounded preceding and current row
        ) as running_balance
    from daily
),
starts as (
    select guarantor_id, max(event_date) as episode_start
    from running
    where running_balance > 0 and running_balance - net_amount <= 0
    group by guarantor_id
)
select
    b.guarantor_id,
    s.episode_start,
    b.balance,
    b.age_days,
    b.oldest_open_balance_date,
    {{ days_between('s.episode_start', 'run.as_of_date') }} as episode_age_days
from balances as b
cross join run
left join starts as s on s.guarantor_id = b.guarantor_id

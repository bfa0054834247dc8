-- The open collection episode of every guarantor with a balance > 0 on the as-of date D
-- (docs/rules.md §1 "Episodes"): a balance that drops to 0 or below closes the episode;
-- turning positive again starts a new one. episode_start = the last day (≤ D) on which the
-- guarantor's running balance of the balance ledger went from ≤ 0 to > 0. The ledger's
-- running balance at D equals int_guarantor_balances.balance.
with run as (select {{ as_of_date() }} as as_of_date),

balances as (
    select * from {{ ref('int_guarantor_balances') }}
    where balance > 0
),

starts as (
    select
        l.guarantor_id,
        max(l.effective_date) as episode_start
    from {{ ref('int_balance_ledger') }} as l
    cross join run
    where l.effective_date <= run.as_of_date
        and {{ starts_episode('l') }}
    group by l.guarantor_id
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
left join starts as s on b.guarantor_id = s.guarantor_id

-- The itemization of each open episode (DOMAIN.md §8, Regulation F 12 CFR 1006.34(c)(2)):
-- one row per guarantor with a balance > 0 on the as-of date D.
-- Itemization date = the first statement of the episode: the clinic-local day statement_1 of
-- this episode was sent (send ledger, sent or delivered, ledger rows dated before D — D's own
-- sends are written after dbt, so a re-run of D gives the same answer), else episode_start +
-- segments_first_statement_fallback_days (no statement sent by the pipeline yet, e.g. a first
-- run on a clinic's history). This is int_first_statements' rule, on ledger rows before D.
-- The guarantor's running balance is rebuilt from dated events as in int_guarantor_episodes
-- (each encounter's patient responsibility at its balance date; postings on it at
-- max(posted_date, balance_date); on-account postings at their posted date), so that
--   itemization_amount = the running balance at the end of the itemization date,
--   charges_since      = responsibility with a balance date after it,
--   payments_since     = payments − payment reversals posted (effective) after it,
--   credits_since      = adjustments − refunds posted (effective) after it,
--   balance            = itemization_amount + charges_since − payments_since − credits_since.
with run as (select {{ as_of_date() }} as as_of_date),
episodes as (select * from {{ ref('int_guarantor_episodes') }}),
first_statements as (
    select
        e.guarantor_id,
        e.episode_start,
        e.balance,
        f.first_statement_date_before_run as first_statement_date,
        f.first_statement_source_before_run as first_statement_source
    from episodes as e
    inner join {{ ref('int_first_statements') }} as f
        on f.guarantor_id = e.guarantor_id and f.episode_start = e.episode_start
),
encounters as (
    select encounter_id, guarantor_id, patient_responsibility, balance_date
    from {{ ref('fct_encounter_balances') }}
    where guarantor_id in (select guarantor_id from episodes)
),
postings as (
    select t.*
    from {{ ref('stg_patient_transactions') }} as t
    cross join run
    where t.posted_date <= run.as_of_date
),
events as (
    select guarantor_id, balance_date as event_date, 'charge' as kind, patient_responsibility as amount
    from encounters
    union all
    select
        e.guarantor_id,
        case when p.posted_date > e.balance_date then p.posted_date else e.balance_date end,
        p.transaction_type,
        p.balance_effect
    from postings as p
    inner join encounters as e on e.encounter_id = p.encounter_id
    union all
    select p.guarantor_id, p.posted_date, p.transaction_type, p.balance_effect
    from postings as p
    where p.encounter_id is null
      and p.guarantor_id in (select guarantor_id from episodes)
),
split as (
    select
        f.guarantor_id,
        sum(case when ev.event_date <= f.first_statement_date then ev.amount else 0 end)
            as itemization_amount,
        sum(case when ev.event_date > f.first_statement_date and ev.kind = 'charge'
                 then ev.amount else 0 end) as charges_since,
        -- balance_effect is negative for payments and positive for reversals: negate
        -sum(case when ev.event_date > f.first_statement_date
                   and ev.kind in ('payment', 'payment_reversal') then ev.amount else 0 end)
            as payments_since,
        -sum(case when ev.event_date > f.first_statement_date
                   and ev.kind in ('adjustment', 'refund') then ev.amount else 0 end)
            as credits_since
    from first_statements as f
    left join events as ev on ev.guarantor_id = f.guarantor_id
    group by f.guarantor_id
),
last_payments as (
    select guarantor_id, max(posted_date) as last_payment_date
    from postings
    where transaction_type = 'payment'
    group by guarantor_id
)
select
    f.guarantor_id,
    f.episode_start,
    f.first_statement_date,
    f.first_statement_source,
    {{ days_between('f.first_statement_date', 'run.as_of_date') }} as days_since_first_statement,
    {{ money('coalesce(s.itemization_amount, 0)') }} as itemization_amount,
    {{ money('coalesce(s.charges_since, 0)') }} as charges_since_itemization,
    {{ money('coalesce(s.payments_since, 0)') }} as payments_since_itemization,
    {{ money('coalesce(s.credits_since, 0)') }} as credits_since_itemization,
    f.balance,
    lp.last_payment_date
from first_statements as f
cross join run
left join split as s on s.guarantor_id = f.guarantor_id
left join last_payments as lp on lp.guarantor_id = f.guarantor_id

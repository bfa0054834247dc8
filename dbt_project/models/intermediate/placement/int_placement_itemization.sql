-- The itemization of each open episode (docs/rules.md §8, Regulation F 12 CFR 1006.34(c)(2);
-- docs/rules.md "Placement"): one row per guarantor with a balance > 0 on the as-of date D.
-- Itemization date = the first statement of the episode: the clinic-local day statement_1 of
-- this episode was sent (send ledger, sent or delivered, ledger rows dated before D — D's own
-- sends are written after dbt, so a re-run of D gives the same answer), else episode_start +
-- segments_first_statement_fallback_days (no statement sent by the pipeline yet, e.g. a first
-- run on a clinic's history). From the balance ledger (int_balance_ledger, its one
-- posting-date rule), so that
--   itemization_amount = the guarantor's running balance at the end of the itemization date,
--   charges_since      = responsibility effective after it,
--   payments_since     = payments − payment reversals effective after it,
--   credits_since      = adjustments − refunds effective after it,
--   balance            = itemization_amount + charges_since − payments_since − credits_since.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        clinic_timezone,
        segments_first_statement_fallback_days as fallback_days
    from {{ ref('stg_policy') }}
),

episodes as (select * from {{ ref('int_guarantor_episodes') }}),

statement_1 as (
    select
        l.guarantor_id,
        l.episode_start,
        -- the clinic-local day it went out; the plan's date when that day is unknown or later
        -- than this run's D (a backfill or re-run of an earlier date, made on a later real day)
        min(case
            when {{ utc_to_local_date('l.sent_at', 'run.clinic_timezone') }} <= run.as_of_date
                then {{ utc_to_local_date('l.sent_at', 'run.clinic_timezone') }}
            else l.as_of_date
        end) as sent_date
    from {{ ref('stg_send_ledger') }} as l
    cross join run
    where l.step = 'statement_1'
        and l.status in ('sent', 'delivered')
        and l.as_of_date < run.as_of_date
    group by l.guarantor_id, l.episode_start
),

first_statements as (
    select
        e.guarantor_id,
        e.episode_start,
        e.balance,
        {{ first_statement_date('s.sent_date', 'e.episode_start', 'run.fallback_days') }} as first_statement_date,
        case when s.sent_date is not null then 'send_ledger' else 'fallback' end as first_statement_source
    from episodes as e
    cross join run
    left join statement_1 as s
        on e.guarantor_id = s.guarantor_id and e.episode_start = s.episode_start
),

ledger as (
    select l.*
    from {{ ref('int_balance_ledger') }} as l
    cross join run
    where l.effective_date <= run.as_of_date
        and l.guarantor_id in (select episodes.guarantor_id from episodes)
),

at_itemization as (
    select
        f.guarantor_id,
        max(l.effective_date) as last_day
    from first_statements as f
    inner join ledger as l
        on f.guarantor_id = l.guarantor_id and f.first_statement_date >= l.effective_date
    group by f.guarantor_id
),

itemization_amounts as (
    select distinct
        a.guarantor_id,
        l.guarantor_balance_after as itemization_amount
    from at_itemization as a
    inner join ledger as l on a.guarantor_id = l.guarantor_id and a.last_day = l.effective_date
),

split as (
    select
        f.guarantor_id,
        sum(case when l.event_kind = 'charge' then l.amount else 0 end) as charges_since,
        -sum(case when l.event_kind in ('payment', 'payment_reversal') then l.amount else 0 end)
            as payments_since,
        -sum(case when l.event_kind in ('adjustment', 'refund') then l.amount else 0 end)
            as credits_since
    from first_statements as f
    inner join ledger as l
        on f.guarantor_id = l.guarantor_id and f.first_statement_date < l.effective_date
    group by f.guarantor_id
)

select
    f.guarantor_id,
    f.episode_start,
    f.first_statement_date,
    f.first_statement_source,
    {{ days_between('f.first_statement_date', 'run.as_of_date') }} as days_since_first_statement,
    {{ money('coalesce(i.itemization_amount, 0)') }} as itemization_amount,
    {{ money('coalesce(s.charges_since, 0)') }} as charges_since_itemization,
    {{ money('coalesce(s.payments_since, 0)') }} as payments_since_itemization,
    {{ money('coalesce(s.credits_since, 0)') }} as credits_since_itemization,
    f.balance,
    b.last_payment_date
from first_statements as f
cross join run
left join itemization_amounts as i on f.guarantor_id = i.guarantor_id
left join split as s on f.guarantor_id = s.guarantor_id
left join {{ ref('int_guarantor_balances') }} as b on f.guarantor_id = b.guarantor_id

-- The observations behind the weekly scorecard (docs/rules.md §10 "Scorecard"), one
-- row per (kpi, event):
-- fact_date places it in a week; numerator / denominator are its contributions to a ratio
-- KPI; measure is its value for a median KPI; guarantor_id gives its segment (null: 'all'
-- only). Only data dated on or before the as-of date D; the send and placement ledgers only
-- before D (D's own run writes them after dbt, so a re-run of D gives the same scorecard).
--   days_to_first_contact: per collection episode, its first outreach attempt
--     (int_outreach_attempts; send-ledger touches carry their episode, contact-log attempts
--     belong to the guarantor's latest known episode started on or before them; episodes =
--     those of the send ledger plus the open ones); measure = days from the episode start
--     (the balance date that opened it) to that attempt; dated on the attempt.
--   open_balances_untouched_at_day_10: per encounter whose day N (balance date +
--     segments_first_statement_fallback_days, the first-statement day) is on or before D and
--     whose balance was still > 0 at the end of day N; numerator 1 when the guarantor had no
--     outreach attempt from the balance date through day N; dated on day N.
--   patient_pay_yield: of the patient responsibility that became due in a week (balance
--     date in the week: the denominator, dated on the balance date), what was paid in that
--     same week (the numerator: payments − payment reversals on those encounters, dated on
--     their balance-ledger effective date, so a copay taken before the adjudication counts in
--     the adjudication's week). The cumulative yield of each monthly cohort: rpt_cohort_yield.
--   text_to_pay_share: per payment, numerator 1 when method text_to_pay; count-based share.
--   promise_to_pay_kept: installments in force (dated on the due date) and promises (on the
--     promised date) that are judged (kept not null: grace over before D); numerator 1 if kept.
--   first_installment_success: the same for installment 1 of each plan.
--   dispute_resolution_time: disputes resolved (on the resolution date); measure = days open.
--   recovery_rate: numerator = net patient payments; denominator = open dollars at the start
--     of the week (int_scorecard_open_dollars, dated on the week's first day).
--   complaints_per_1000_contacts: numerator = contact-log outcome complaint; denominator =
--     outreach attempts (int_outreach_attempts).
--   percent_placed: numerator = balance_placed of the pipeline's placements
--     (int_placement_history, placed before D); denominator = open dollars at the week's start.
--   percent_placed_trailing_13w: per scorecard week, the placements of its trailing window
--     and the open dollars at the window's start, dated on the week's first day.
--   agency_recoveries: per payment the collection agency reports (stg_agency_activity, event
--     payment, dated on or before D: landing data, loaded before dbt), numerator = its amount,
--     denominator 1 (the count of agency payments); dated on the day it occurred. Every agency
--     payment counts, for placements the pipeline made and for those made before it.
--   era_posting_lag_hours: per ERA file loaded (file ledger, kind era, loaded or loaded with
--     warnings) by a run dated on or before D; measure = hours from arrival (file time) to
--     loaded; dated on the run's as-of date.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        p.*
    from {{ ref('stg_policy') }} as p
),

weeks as (select * from {{ ref('int_scorecard_weeks') }}),

window_start as (select min(week_start) as first_date from weeks),

attempts as (select * from {{ ref('int_outreach_attempts') }}),

encounters as (select * from {{ ref('int_encounter_balances') }}),

ledger as (
    select l.*
    from {{ ref('int_balance_ledger') }} as l
    cross join run
    where l.effective_date <= run.as_of_date
),

postings as (
    select t.*
    from {{ ref('stg_patient_transactions') }} as t
    cross join run
    where t.posted_date <= run.as_of_date
),

open_dollars as (select * from {{ ref('int_scorecard_open_dollars') }}),

placements as (
    select
        p.placement_id,
        p.guarantor_id,
        p.placed_date as placed_at,
        p.balance_placed
    from {{ ref('int_placement_history') }} as p
    cross join run
    where p.placement_source = 'pipeline' and p.placed_date < run.as_of_date
),

-- days to first contact -------------------------------------------------------------------
episodes as (
    select distinct
        l.guarantor_id,
        l.episode_start
    from {{ ref('stg_send_ledger') }} as l
    cross join run
    where l.as_of_date < run.as_of_date and l.episode_start is not null
    union
    select
        guarantor_id,
        episode_start
    from {{ ref('int_guarantor_episodes') }}
    where episode_start is not null
),

episode_bounds as (
    select
        guarantor_id,
        episode_start,
        lead(episode_start) over (partition by guarantor_id order by episode_start) as next_start
    from episodes
),

episode_attempts as (
    select
        a.guarantor_id,
        a.episode_start,
        a.attempt_date
    from attempts as a
    where a.episode_start is not null and a.attempt_date >= a.episode_start
    union all
    select
        a.guarantor_id,
        b.episode_start,
        a.attempt_date
    from attempts as a
    inner join episode_bounds as b
        on a.guarantor_id = b.guarantor_id
            and a.attempt_date >= b.episode_start
            and (b.next_start is null or a.attempt_date < b.next_start)
    where a.episode_start is null
),

first_contacts as (
    select
        guarantor_id,
        episode_start,
        min(attempt_date) as first_contact_date
    from episode_attempts
    group by guarantor_id, episode_start
),

-- open balances untouched at day N ---------------------------------------------------------
day_n as (
    select
        e.encounter_id,
        e.guarantor_id,
        e.balance_date,
        e.patient_responsibility,
        cast({{ dbt.dateadd('day', 'run.segments_first_statement_fallback_days', 'e.balance_date') }} as date)
            as day_n_date
    from encounters as e
    cross join run
),

day_n_balances as (
    select distinct
        d.encounter_id,
        d.guarantor_id,
        d.balance_date,
        d.day_n_date,
        l.encounter_balance_after as balance_at_day_n
    from day_n as d
    cross join run
    inner join ledger as l
        on d.encounter_id = l.encounter_id
            and {{ balance_on('l', 'encounter', 'd.day_n_date') }}
    where d.day_n_date <= run.as_of_date
),

untouched as (
    select
        b.encounter_id,
        b.guarantor_id,
        b.day_n_date,
        case when exists (
                    select 1 from attempts as a
                    where a.guarantor_id = b.guarantor_id
                        and a.attempt_date >= b.balance_date
                        and a.attempt_date <= b.day_n_date
                ) then 0
            else 1
        end as is_untouched
    from day_n_balances as b
    where b.balance_at_day_n > 0
),

-- money -----------------------------------------------------------------------------------
net_payments as (
    select
        transaction_id,
        guarantor_id,
        posted_date,
        case when transaction_type = 'payment' then amount else -amount end as amount
    from postings
    where transaction_type in ('payment', 'payment_reversal')
),

-- payments on responsibility that became due in the same week (patient_pay_yield)
same_week_payments as (
    select
        l.transaction_id,
        l.guarantor_id,
        l.effective_date,
        -l.amount as amount
    from ledger as l
    inner join weeks as w on l.effective_date between w.week_start and w.week_ending
    where l.event_kind in ('payment', 'payment_reversal')
        and l.balance_date between w.week_start and w.week_ending
),

week_start_open as (
    select
        o.guarantor_id,
        o.cutoff_date as fact_date,
        o.open_dollars
    from open_dollars as o
    inner join weeks as w on o.cutoff_date = w.week_start
),

facts as (
    select
        'days_to_first_contact' as kpi,
        {{ dbt.concat(["'episode:'", 'guarantor_id', "'|'", dbt.safe_cast('episode_start', dbt.type_string())]) }}
            as source_id,
        first_contact_date as fact_date,
        guarantor_id,
        cast(null as {{ dbt.type_numeric() }}) as numerator,
        cast(null as {{ dbt.type_numeric() }}) as denominator,
        cast({{ days_between('episode_start', 'first_contact_date') }} as {{ dbt.type_numeric() }}) as measure
    from first_contacts
    union all
    select
        'open_balances_untouched_at_day_10',
        {{ dbt.concat(["'encounter:'", 'encounter_id']) }},
        day_n_date,
        guarantor_id,
        is_untouched,
        1,
        null
    from untouched
    union all
    select
        'patient_pay_yield',
        {{ dbt.concat(["'payment:'", 'transaction_id']) }},
        effective_date,
        guarantor_id,
        amount,
        0,
        null
    from same_week_payments
    union all
    select
        'patient_pay_yield',
        {{ dbt.concat(["'charge:'", 'encounter_id']) }},
        balance_date,
        guarantor_id,
        0,
        patient_responsibility,
        null
    from encounters
    union all
    select
        'text_to_pay_share',
        {{ dbt.concat(["'payment:'", 'transaction_id']) }},
        posted_date,
        guarantor_id,
        case when method = 'text_to_pay' then 1 else 0 end,
        1,
        null
    from postings
    where transaction_type = 'payment'
    union all
    select
        'promise_to_pay_kept',
        {{ dbt.concat(["'installment:'", 'installment_id']) }},
        due_date,
        guarantor_id,
        case when kept then 1 else 0 end,
        1,
        null
    from {{ ref('int_plan_installments') }}
    where kept is not null
    union all
    select
        'promise_to_pay_kept',
        {{ dbt.concat(["'promise:'", 'contact_id']) }},
        promised_date,
        guarantor_id,
        case when kept then 1 else 0 end,
        1,
        null
    from {{ ref('int_promises') }}
    where kept is not null
    union all
    select
        'first_installment_success',
        {{ dbt.concat(["'installment:'", 'installment_id']) }},
        due_date,
        guarantor_id,
        case when kept then 1 else 0 end,
        1,
        null
    from {{ ref('int_plan_installments') }}
    where kept is not null and installment_number = 1
    union all
    select
        'dispute_resolution_time',
        {{ dbt.concat(["'dispute:'", 'dispute_id']) }},
        resolved_date,
        guarantor_id,
        null,
        null,
        age_days
    from {{ ref('int_dispute_status') }}
    where resolved_date is not null
    union all
    select
        'recovery_rate',
        {{ dbt.concat(["'payment:'", 'transaction_id']) }},
        posted_date,
        guarantor_id,
        amount,
        0,
        null
    from net_payments
    union all
    select
        'recovery_rate',
        {{ dbt.concat(["'open:'", 'guarantor_id']) }},
        fact_date,
        guarantor_id,
        0,
        open_dollars,
        null
    from week_start_open
    union all
    select
        'complaints_per_1000_contacts',
        {{ dbt.concat(["'complaint:'", 'c.source_id']) }},
        c.occurred_date,
        c.guarantor_id,
        1,
        0,
        null
    from {{ ref('int_contact_events') }} as c
    where c.source = 'contact_log' and c.outcome = 'complaint'
    union all
    select
        'complaints_per_1000_contacts',
        {{ dbt.concat(["'attempt:'", 'attempt_id']) }},
        attempt_date,
        guarantor_id,
        0,
        1,
        null
    from attempts
    union all
    select
        'percent_placed',
        {{ dbt.concat(["'placement:'", 'placement_id']) }},
        placed_at,
        guarantor_id,
        balance_placed,
        0,
        null
    from placements
    union all
    select
        'percent_placed',
        {{ dbt.concat(["'open:'", 'guarantor_id']) }},
        fact_date,
        guarantor_id,
        0,
        open_dollars,
        null
    from week_start_open
    union all
    select
        'percent_placed_trailing_13w',
        {{ dbt.concat(["'placement:'", 'p.placement_id']) }},
        w.week_start,
        p.guarantor_id,
        p.balance_placed,
        0,
        null
    from placements as p
    inner join weeks as w
        on p.placed_at >= w.trailing_start_date and p.placed_at <= w.data_end_date
    union all
    select
        'percent_placed_trailing_13w',
        {{ dbt.concat(["'open:'", 'o.guarantor_id']) }},
        w.week_start,
        o.guarantor_id,
        0,
        o.open_dollars,
        null
    from open_dollars as o
    inner join weeks as w on o.cutoff_date = w.trailing_start_date
    union all
    select
        'agency_recoveries',
        {{ dbt.concat(["'agency:'", 'a.activity_id']) }},
        a.occurred_date,
        a.guarantor_id,
        coalesce(a.amount, 0),
        1,
        null
    from {{ ref('stg_agency_activity') }} as a
    cross join run
    where a.event = 'payment' and a.occurred_date <= run.as_of_date
    union all
    select
        'era_posting_lag_hours',
        {{ dbt.concat(["'file:'", 'f.file_sha256', "'|'", 'f.file_name']) }},
        f.run_as_of_date,
        cast(null as {{ dbt.type_string() }}),
        null,
        null,
        {{ dbt.datediff('f.arrived_at', 'f.loaded_at', 'second') }} / 3600.0
    from {{ ref('stg_file_ledger') }} as f
    cross join run
    where f.kind = 'era'
        and f.status in ('loaded', 'loaded_with_warnings')
        and f.run_as_of_date <= run.as_of_date
        and f.arrived_at is not null and f.loaded_at is not null
)

select
    {{ dbt.concat(['f.kpi', "'|'", dbt.safe_cast('f.fact_date', dbt.type_string()), "'|'", 'f.source_id']) }}
        as fact_id,
    f.kpi,
    f.source_id,
    f.fact_date,
    f.guarantor_id,
    cast(f.numerator as {{ dbt.type_numeric() }}) as numerator,
    cast(f.denominator as {{ dbt.type_numeric() }}) as denominator,
    cast(f.measure as {{ dbt.type_numeric() }}) as measure
from facts as f
cross join run
cross join window_start as ws
where f.fact_date >= ws.first_date and f.fact_date <= run.as_of_date

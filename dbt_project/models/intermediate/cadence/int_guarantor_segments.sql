-- Segments (docs/rules.md §3 "Segments"): one row per guarantor with a balance > 0 at
-- each snapshot date — the as-of date D (dim_guarantor_status) and the day before each
-- scorecard week starts (a week's KPI facts belong to the segment at the week's start,
-- rpt_weekly_scorecard). Everything is taken as it stood at the end of the snapshot date:
--   balance and age: the balance ledger (int_balance_ledger) on that date — the guarantor's
--     running balance, and the age of the oldest encounter whose running balance is > 0;
--   tier: small < tiers_small_below ≤ medium < tiers_medium_below ≤ high;
--   episode_start: the last ledger day on or before the date that started an episode;
--   first_statement_date: statement 1 of that episode sent on or before the date (send
--     ledger, sent or delivered; clinic-local date), else episode_start +
--     segments_first_statement_fallback_days;
--   responses (int_guarantor_responses) and disputes (int_dispute_status) dated by then.
-- Segment, the first rule that matches (thresholds from stg_policy segments_*):
--   documentation_doubt: an open dispute, or a dispute_raised contact with
--     0 ≤ date − contact ≤ dispute_contact_lookback_days and no dispute resolved since;
--   silent_aged: age ≥ silent_min_age_days and no response in the last silent_no_response_days;
--   high_value_engaged: age in engaged_min/max_age_days, tier high, a response in the last
--     engaged_response_days;
--   early_stall: age in early_stall_min/max_age_days, tier small or medium, no payment posted
--     since the first statement;
--   fresh: 0 ≤ age ≤ fresh_max_age_days; standard: everything else.
-- "In the last N days" is 0 ≤ date − event ≤ N.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        p.*
    from {{ ref('stg_policy') }} as p
),

snapshots as (
    select as_of_date as snapshot_date from run
    union
    select cast({{ dbt.dateadd('day', -1, 'week_start') }} as date) from {{ ref('int_scorecard_weeks') }}
),

ledger as (select * from {{ ref('int_balance_ledger') }}),

-- balances and ages at each snapshot ------------------------------------------------------
-- one row per guarantor day with a balance > 0 (the ledger rows of one guarantor and day share
-- its balance, day net and next date) and the episode it is in: the last such day on or before
-- it that started an episode (a start has a balance > 0, so none is left out)
open_days as (
    select
        l.guarantor_id,
        l.effective_date,
        l.guarantor_next_date,
        l.guarantor_balance_after,
        l.guarantor_day_net
    from ledger as l
    where l.guarantor_balance_after > 0
    group by l.guarantor_id, l.effective_date, l.guarantor_next_date, l.guarantor_balance_after, l.guarantor_day_net
),

open_day_episodes as (
    select
        d.guarantor_id,
        d.effective_date,
        d.guarantor_next_date,
        d.guarantor_balance_after,
        max(case when {{ starts_episode('d') }} then d.effective_date end) over (
            partition by d.guarantor_id order by d.effective_date
            rows between unbounded preceding and current row
        ) as episode_start
    from open_days as d
),

-- the day holding each snapshot's balance: no ledger day of the guarantor lies between it and
-- the snapshot, so its episode is the last one started on or before the snapshot
open_guarantors as (
    select
        s.snapshot_date,
        d.guarantor_id,
        d.guarantor_balance_after as balance,
        d.episode_start
    from open_day_episodes as d
    inner join snapshots as s on {{ balance_on('d', 'guarantor', 's.snapshot_date') }}
),

-- the age of the oldest open encounter: days from the earliest balance date
ages as (
    select
        s.snapshot_date,
        l.guarantor_id,
        {{ days_between('min(l.balance_date)', 's.snapshot_date') }} as age_days
    from ledger as l
    inner join snapshots as s on {{ balance_on('l', 'encounter', 's.snapshot_date') }}
    where l.encounter_id is not null and l.encounter_balance_after > 0
    group by s.snapshot_date, l.guarantor_id
),

-- episode and first statement -------------------------------------------------------------
statement_1 as (
    select
        l.guarantor_id,
        l.episode_start,
        coalesce({{ utc_to_local_date('l.sent_at', 'run.clinic_timezone') }}, l.as_of_date) as sent_date
    from {{ ref('stg_send_ledger') }} as l
    cross join run
    where l.step = 'statement_1' and l.status in ('sent', 'delivered')
),

first_sent as (
    select
        o.snapshot_date,
        o.guarantor_id,
        min(s.sent_date) as sent_date
    from open_guarantors as o
    inner join statement_1 as s
        on o.guarantor_id = s.guarantor_id
            and o.episode_start = s.episode_start
            and o.snapshot_date >= s.sent_date
    group by o.snapshot_date, o.guarantor_id
),

first_statements as (
    select
        o.snapshot_date,
        o.guarantor_id,
        o.balance,
        o.episode_start,
        {{ first_statement_date('f.sent_date', 'o.episode_start', 'run.segments_first_statement_fallback_days') }}
            as first_statement_date,
        case
            when o.episode_start is null then null
            when f.sent_date is not null then 'send_ledger'
            else 'fallback'
        end as first_statement_source
    from open_guarantors as o
    cross join run
    left join first_sent as f on o.snapshot_date = f.snapshot_date and o.guarantor_id = f.guarantor_id
),

-- responses, payments, disputes -----------------------------------------------------------
-- the responses a snapshot can see: those before the first snapshot folded into the latest of
-- each guarantor (every snapshot sees them all), then each one up to the last snapshot
snapshot_range as (
    select
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date
    from snapshots
),

response_dates as (
    select
        r.guarantor_id,
        max(r.response_date) as response_date
    from {{ ref('int_guarantor_responses') }} as r
    cross join snapshot_range as b
    where r.response_date < b.first_snapshot_date
    group by r.guarantor_id
    union all
    select
        r.guarantor_id,
        r.response_date
    from {{ ref('int_guarantor_responses') }} as r
    cross join snapshot_range as b
    where r.response_date >= b.first_snapshot_date and r.response_date <= b.last_snapshot_date
),

responses as (
    select
        o.snapshot_date,
        o.guarantor_id,
        max(r.response_date) as last_response_date
    from open_guarantors as o
    inner join response_dates as r
        on o.guarantor_id = r.guarantor_id and o.snapshot_date >= r.response_date
    group by o.snapshot_date, o.guarantor_id
),

payments as (
    select
        guarantor_id,
        posted_date
    from {{ ref('stg_patient_transactions') }}
    where transaction_type = 'payment'
),

payments_since_first_statement as (
    select
        f.snapshot_date,
        f.guarantor_id
    from first_statements as f
    where exists (
            select 1 from payments as t
            where t.guarantor_id = f.guarantor_id
                and f.first_statement_date <= t.posted_date
                and f.snapshot_date >= t.posted_date
        )
),

disputes as (select * from {{ ref('int_dispute_status') }}),

open_disputes as (
    select distinct
        o.snapshot_date,
        o.guarantor_id
    from open_guarantors as o
    inner join disputes as d
        on o.guarantor_id = d.guarantor_id
            and o.snapshot_date >= d.opened_date
            and (d.resolved_date is null or o.snapshot_date < d.resolved_date)
),

dispute_contacts as (
    select
        o.snapshot_date,
        o.guarantor_id,
        c.contact_event_id,
        c.occurred_date
    from open_guarantors as o
    cross join run
    inner join {{ ref('int_contact_events') }} as c
        on o.guarantor_id = c.guarantor_id
            and c.outcome = 'dispute_raised'
            and o.snapshot_date >= c.occurred_date
            and {{ days_between('c.occurred_date', 'o.snapshot_date') }}
            <= run.segments_dispute_contact_lookback_days
),

answered_dispute_contacts as (
    select distinct
        c.snapshot_date,
        c.contact_event_id
    from dispute_contacts as c
    inner join disputes as d
        on c.guarantor_id = d.guarantor_id
            and c.occurred_date <= d.resolved_date
            and c.snapshot_date >= d.resolved_date
),

recent_dispute_contacts as (
    select distinct
        c.snapshot_date,
        c.guarantor_id
    from dispute_contacts as c
    left join answered_dispute_contacts as a
        on c.snapshot_date = a.snapshot_date and c.contact_event_id = a.contact_event_id
    where a.contact_event_id is null
),

base as (
    select
        o.snapshot_date,
        o.snapshot_date = run.as_of_date as is_as_of_date,
        o.guarantor_id,
        o.balance,
        a.age_days,
        case
            when o.balance < run.tiers_small_below then 'small'
            when o.balance < run.tiers_medium_below then 'medium'
            else 'high'
        end as tier,
        o.episode_start,
        o.first_statement_date,
        o.first_statement_source,
        r.last_response_date,
        {{ days_between('r.last_response_date', 'o.snapshot_date') }} as days_since_response,
        od.guarantor_id is not null as has_open_dispute,
        dc.guarantor_id is not null as has_recent_dispute_contact,
        pf.guarantor_id is not null as has_payment_since_first_statement,
        run.segments_silent_min_age_days,
        run.segments_silent_no_response_days,
        run.segments_engaged_min_age_days,
        run.segments_engaged_max_age_days,
        run.segments_engaged_response_days,
        run.segments_early_stall_min_age_days,
        run.segments_early_stall_max_age_days,
        run.segments_fresh_max_age_days
    from first_statements as o
    cross join run
    left join ages as a on o.snapshot_date = a.snapshot_date and o.guarantor_id = a.guarantor_id
    left join responses as r on o.snapshot_date = r.snapshot_date and o.guarantor_id = r.guarantor_id
    left join open_disputes as od on o.snapshot_date = od.snapshot_date and o.guarantor_id = od.guarantor_id
    left join recent_dispute_contacts as dc
        on o.snapshot_date = dc.snapshot_date and o.guarantor_id = dc.guarantor_id
    left join payments_since_first_statement as pf
        on o.snapshot_date = pf.snapshot_date and o.guarantor_id = pf.guarantor_id
)

select
    {{ dbt.concat([dbt.safe_cast('snapshot_date', dbt.type_string()), "'|'", 'guarantor_id']) }} as segment_snapshot_id,
    snapshot_date,
    is_as_of_date,
    guarantor_id,
    {{ money('balance') }} as balance,
    age_days,
    tier,
    case
        when has_open_dispute or has_recent_dispute_contact then 'documentation_doubt'
        when age_days >= segments_silent_min_age_days
            and (days_since_response is null or days_since_response > segments_silent_no_response_days)
            then 'silent_aged'
        when age_days between segments_engaged_min_age_days and segments_engaged_max_age_days
            and tier = 'high'
            and days_since_response between 0 and segments_engaged_response_days
            then 'high_value_engaged'
        when age_days between segments_early_stall_min_age_days and segments_early_stall_max_age_days
            and tier in ('small', 'medium')
            and not has_payment_since_first_statement
            then 'early_stall'
        when age_days between 0 and segments_fresh_max_age_days then 'fresh'
        else 'standard'
    end as segment,
    episode_start,
    first_statement_date,
    first_statement_source,
    last_response_date,
    has_open_dispute,
    has_recent_dispute_contact,
    has_payment_since_first_statement
from base

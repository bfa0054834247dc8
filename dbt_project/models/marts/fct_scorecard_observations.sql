-- The scorecard's observations with their dimensions: the base of the semantic layer
-- (docs/metrics.md; models/metrics/). One row per int_scorecard_facts row (kpi, event), in
-- the scorecard's weeks (docs/rules.md §10), with:
--   week_start / week_ending: the scorecard week holding fact_date;
--   segment: the guarantor's segment at that week's start, exactly as rpt_weekly_scorecard
--     files it (int_guarantor_segments on the day before week_start; 'no_open_balance' when
--     the guarantor had no open balance then; null for file-level facts, the ERA lag);
--   household_id: the guarantor's household (stg_guarantors);
--   encounter_id: the encounter the event is about, where it has one (untouched balances,
--     patient responsibility, payments, disputes, placements);
--   payer_id: that encounter's primary payer (stg_encounters; SELFPAY for self-pay);
--   channel: how the event happened: the outreach channel for attempts and complaints
--     (sms, email, letter, call, …), the payment method for payments (text_to_pay, card, …).
-- numerator / denominator / measure are int_scorecard_facts' own: the metrics
-- (models/metrics/_metrics__metrics.yml) add them up exactly as rpt_weekly_scorecard does.
-- int_scorecard_facts is ephemeral (its SQL is inlined here, never stored): one row here per
-- fact, so the facts' rules are this model's (docs/dbt-tests.md, "Rules of a model that is not
-- stored").
with facts as (select * from {{ ref('int_scorecard_facts') }}),

-- every day of the scorecard's weeks with its week and the segments' snapshot date of that week
-- (the day before week_start): an equality join of the facts on fact_date, not a range join
week_days as (
    select
        cast({{ dbt.dateadd('day', 'seq.num', 'w.week_start') }} as date) as day_date,
        w.week_start,
        w.week_ending,
        cast({{ dbt.dateadd('day', -1, 'w.week_start') }} as date) as segment_date
    from {{ ref('int_scorecard_weeks') }} as w
    cross join {{ numbers(7) }} as seq
),

segments as (
    select
        snapshot_date,
        guarantor_id,
        segment
    from {{ ref('int_guarantor_segments') }}
),

guarantors as (
    select
        guarantor_id,
        household_id
    from {{ ref('stg_guarantors') }}
),

encounters as (
    select
        encounter_id,
        primary_payer_id
    from {{ ref('stg_encounters') }}
),

postings as (
    select
        {{ dbt.concat(["'payment:'", 'transaction_id']) }} as source_id,
        encounter_id,
        method
    from {{ ref('stg_patient_transactions') }}
),

-- the events about an encounter that are not the encounter itself: disputes and placements
-- (the encounter and charge events name their encounter in source_id: they join the encounters
-- on it directly, below)
event_encounters as (
    select
        {{ dbt.concat(["'dispute:'", 'dispute_id']) }} as source_id,
        encounter_id
    from {{ ref('int_dispute_status') }}
    union all
    select
        {{ dbt.concat(["'placement:'", 'placement_id']) }},
        encounter_id
    from {{ ref('int_placement_history') }}
),

contact_channels as (
    select
        {{ dbt.concat(["'attempt:'", 'attempt_id']) }} as source_id,
        channel
    from {{ ref('int_outreach_attempts') }}
    union all
    select
        {{ dbt.concat(["'complaint:'", 'source_id']) }},
        channel
    from {{ ref('int_contact_events') }}
    where source = 'contact_log' and outcome = 'complaint'
)

select
    f.fact_id,
    f.kpi,
    f.source_id,
    f.fact_date,
    w.week_start,
    w.week_ending,
    f.guarantor_id,
    g.household_id,
    case
        when f.guarantor_id is null then null
        else coalesce(s.segment, 'no_open_balance')
    end as segment,
    coalesce(p.encounter_id, ee.encounter_id, e.encounter_id) as encounter_id,
    e.primary_payer_id as payer_id,
    coalesce(p.method, cc.channel) as channel,
    f.numerator,
    f.denominator,
    f.measure
from facts as f
inner join week_days as w on f.fact_date = w.day_date
left join segments as s on f.guarantor_id = s.guarantor_id and w.segment_date = s.snapshot_date
left join guarantors as g on f.guarantor_id = g.guarantor_id
left join postings as p on f.source_id = p.source_id
left join event_encounters as ee on f.source_id = ee.source_id
left join contact_channels as cc on f.source_id = cc.source_id
-- the encounter of a payment, dispute or placement; an encounter or charge event's own
-- ('encounter:' || encounter_id, 'charge:' || encounter_id): null when no encounter has it
left join encounters as e
    on e.encounter_id = coalesce(
            p.encounter_id,
            ee.encounter_id,
            case
                when f.source_id like 'encounter:%' then substring(f.source_id, 11)
                when f.source_id like 'charge:%' then substring(f.source_id, 8)
            end
        )

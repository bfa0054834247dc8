-- The dated balance ledger (docs/rules.md, "Balance ledger"): every event that moves a
-- guarantor's balance, on the day it takes effect. The one posting-date rule of the project:
--   charge      an encounter's patient responsibility (int_encounter_responsibility, as known
--               on the as-of date D), on its balance date;
--   posting on an encounter (payment, payment_reversal, adjustment, refund): on
--               max(posted_date, the encounter's balance date) — a copay taken at the front desk
--               on an insurance-pending encounter waits for the adjudication;
--   posting on an encounter with no patient responsibility on D (insurance pending, or not
--               serviced yet): not here — neither A/R nor a credit until it adjudicates;
--   on-account money (no encounter): on its posted date.
-- amount = the signed effect on the balance (payment and adjustment lower it, refund and
-- payment_reversal raise it). Every posting is here, also those posted after D: a consumer
-- takes effective_date <= D (for a ledger row that is the same as posted_date <= D).
-- Running balances, in effective-date order (all events of one day together):
--   guarantor_day_net / guarantor_balance_after: the guarantor's net movement on that day and
--   balance at its end; guarantor_next_date: the guarantor's next day with an event, so the
--   balance on any date X is guarantor_balance_after of the row with effective_date ≤ X <
--   guarantor_next_date (macro balance_on); encounter_day_net / encounter_balance_after /
--   encounter_next_date: the same per encounter (null for on-account money).
-- Incremental history (macros/history.sql): a build rebuilds only the guarantors whose rows can
-- have changed since the last one; history_* are the marks of the build that computed a row.
{{ config(
    materialized=history_materialization(),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook=[
        "{{ history_prepare(balance_history_changes(), balance_history_upstream(), balance_history_rebuild_when()) }}",
        "{{ history_delete() }}",
    ],
) }}
with responsibility as (
    select * from {{ ref('int_encounter_responsibility') }}
    where responsibility_status <> 'insurance_pending'
        and {{ history_is_rebuilt('guarantor_id') }}
),

postings as (select * from {{ ref('stg_patient_transactions') }}),

events as (
    select
        {{ dbt.concat(["'charge:'", 'r.encounter_id']) }} as ledger_id,
        r.guarantor_id,
        r.encounter_id,
        cast(null as {{ dbt.type_string() }}) as transaction_id,
        'charge' as event_kind,
        r.balance_date as effective_date,
        r.balance_date as posted_date,
        r.balance_date,
        r.patient_responsibility as amount,
        cast(null as {{ dbt.type_string() }}) as reason,
        cast(null as {{ dbt.type_string() }}) as method,
        cast(null as {{ dbt.type_string() }}) as plan_id
    from responsibility as r
    union all
    select
        {{ dbt.concat(["'posting:'", 'p.transaction_id']) }},
        r.guarantor_id,
        p.encounter_id,
        p.transaction_id,
        p.transaction_type,
        case when p.posted_date > r.balance_date then p.posted_date else r.balance_date end,
        p.posted_date,
        r.balance_date,
        p.balance_effect,
        p.reason,
        p.method,
        p.plan_id
    from postings as p
    inner join responsibility as r on p.encounter_id = r.encounter_id
    union all
    select
        {{ dbt.concat(["'posting:'", 'p.transaction_id']) }},
        p.guarantor_id,
        cast(null as {{ dbt.type_string() }}),
        p.transaction_id,
        p.transaction_type,
        p.posted_date as effective_date,
        p.posted_date,
        cast(null as date) as balance_date,
        p.balance_effect,
        p.reason,
        p.method,
        p.plan_id
    from postings as p
    where p.encounter_id is null
        and {{ history_is_rebuilt('p.guarantor_id') }}
),

guarantor_days as (
    select
        guarantor_id,
        effective_date,
        sum(amount) as day_net
    from events
    group by guarantor_id, effective_date
),

guarantor_running as (
    select
        guarantor_id,
        effective_date,
        day_net,
        sum(day_net) over (
            partition by guarantor_id order by effective_date
            rows between unbounded preceding and current row
        ) as balance_after,
        lead(effective_date) over (partition by guarantor_id order by effective_date) as next_date
    from guarantor_days
),

encounter_days as (
    select
        encounter_id,
        effective_date,
        sum(amount) as day_net
    from events
    where encounter_id is not null
    group by encounter_id, effective_date
),

encounter_running as (
    select
        encounter_id,
        effective_date,
        day_net,
        sum(day_net) over (
            partition by encounter_id order by effective_date
            rows between unbounded preceding and current row
        ) as balance_after,
        lead(effective_date) over (partition by encounter_id order by effective_date) as next_date
    from encounter_days
)

select
    e.ledger_id,
    e.guarantor_id,
    e.encounter_id,
    e.transaction_id,
    e.event_kind,
    e.effective_date,
    e.posted_date,
    e.balance_date,
    {{ money('e.amount') }} as amount,
    e.reason,
    e.method,
    e.plan_id,
    {{ money('g.day_net') }} as guarantor_day_net,
    {{ money('g.balance_after') }} as guarantor_balance_after,
    g.next_date as guarantor_next_date,
    {{ money('n.day_net') }} as encounter_day_net,
    {{ money('n.balance_after') }} as encounter_balance_after,
    n.next_date as encounter_next_date,
    {{ history_marks(balance_history_loaded_at(), balance_history_upstream()) }}
from events as e
inner join guarantor_running as g
    on e.guarantor_id = g.guarantor_id and e.effective_date = g.effective_date
left join encounter_running as n
    on e.encounter_id = n.encounter_id and e.effective_date = n.effective_date

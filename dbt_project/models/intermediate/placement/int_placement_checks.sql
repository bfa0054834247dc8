-- Placement eligibility on the as-of date D (docs/rules.md §8 "Placement"): one row
-- per guarantor with a balance > 0, one boolean per rule (passes_<rule>: true = the rule is
-- met), and is_eligible = every rule met (the one eligibility of the mart, the queues and
-- the placement extract). Thresholds come from stg_policy (placement_*,
-- clinic_nonprofit_501r). Only data dated on or before D is used, and the operational ledgers
-- (send ledger, placement ledger) only before D — D's own run writes them after dbt — so a
-- re-run of D gives the same eligibility.
-- "This episode" = dated on or after the open episode's start (int_guarantor_episodes); a
-- send-ledger touch also carries its episode_start, which must be this episode's.
--   min_balance: balance ≥ placement_min_balance.
--   days_since_first_statement: D − first statement (int_placement_itemization) ≥
--     placement_days_since_first_statement, or ≥ placement_days_since_first_statement_silent
--     for segment silent_aged (int_guarantor_segments on D).
--   cadence_complete: every step of stg_policy_cadence has a send-ledger row of this episode
--     (guarantor, episode_start, step) dated before D that was attempted (sent, delivered,
--     failed) or skipped with a reason (status_reason not empty).
--   documented_attempts: ≥ placement_min_documented_attempts attempts of this episode
--     (int_outreach_attempts: pipeline touches sent + outbound contact-log attempts) over
--     ≥ placement_min_channels distinct channels.
--   open_dispute, hardship, deceased, bankrupt: int_protective_flags (no dispute open on D,
--     no application pending or support active on D, no deceased_at / bankruptcy_filed_at on
--     or before D).
--   active_plan_in_good_standing: no payment plan in state active on D (int_plan_status).
--   already_placed: never placed before D (int_protective_flags.was_placed_before: any
--     placement of the pipeline or known from the agency's activity, in any episode, open or
--     closed — re-placing an account is a decision for staff, not the daily job).
--   recent_payment: no payment posted with 0 ≤ D − posted ≤ placement_no_payment_days
--     (a payment later reversed counts, as for segment responses).
--   proof_of_contact (12 CFR 1006.30(a)), in this episode: a touch delivered (send ledger
--     delivered, a delivered contact event: SendGrid delivered or contact-log outcome
--     delivered), or a conversation (int_guarantor_responses other than payments: inbound
--     contact, connected call, promise, plan request), or a mailed item (mail touch sent,
--     outbound letter) dated ≤ D − placement_mailed_statement_not_returned_days with no
--     returned_mail contact on or after its date.
--   nonprofit_days_since_first_statement (clinic_nonprofit_501r only): D − first statement ≥
--     placement_nonprofit_days_since_first_statement (26 CFR 1.501(r)-6).
--   final_notice (clinic_nonprofit_501r only): a final_notice step of this episode sent ≥
--     placement_nonprofit_final_notice_days before D.
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        p.*
    from {{ ref('stg_policy') }} as p
),

episodes as (
    select
        guarantor_id,
        coalesce(episode_start, oldest_open_balance_date) as episode_start,
        balance,
        age_days
    from {{ ref('int_guarantor_episodes') }}
),

status as (
    select
        guarantor_id,
        segment
    from {{ ref('int_guarantor_segments') }}
    where is_as_of_date
),

itemization as (select * from {{ ref('int_placement_itemization') }}),

guarantors as (select * from {{ ref('stg_guarantors') }}),

attempts as (
    select a.*
    from {{ ref('int_outreach_attempts') }} as a
    inner join episodes as e
        on a.guarantor_id = e.guarantor_id
            and a.attempt_date >= e.episode_start
            -- a pipeline touch belongs to the episode it was planned for
            and (a.episode_start is null or a.episode_start = e.episode_start)
),

attempt_counts as (
    select
        guarantor_id,
        count(*) as documented_attempts,
        count(distinct channel) as attempt_channel_count
    from attempts
    group by guarantor_id
),

attempt_channel_list as (
    select
        guarantor_id,
        {{ dbt.listagg('channel', "','", 'order by channel') }} as attempt_channels
    from (
        select distinct
            guarantor_id,
            channel
        from attempts
        where channel is not null
    ) as c
    group by guarantor_id
),

cadence as (
    select
        step,
        step_order
    from {{ ref('stg_policy_cadence') }}
),

steps_done as (
    select distinct
        l.guarantor_id,
        l.step
    from {{ ref('stg_send_ledger') }} as l
    cross join run
    inner join episodes as e
        on l.guarantor_id = e.guarantor_id and l.episode_start = e.episode_start
    where l.as_of_date < run.as_of_date
        and (
            l.status in ('sent', 'delivered', 'failed')
            or (l.status = 'skipped' and coalesce(trim(l.status_reason), '') <> '')
        )
),

cadence_progress as (
    select
        e.guarantor_id,
        count(*) as cadence_steps,
        count(d.step) as cadence_steps_done,
        {{ dbt.listagg('case when d.step is null then c.step end', "','", 'order by c.step_order') }}
            as missing_cadence_steps
    from episodes as e
    cross join cadence as c
    left join steps_done as d on e.guarantor_id = d.guarantor_id and c.step = d.step
    group by e.guarantor_id
),

flags as (select * from {{ ref('int_protective_flags') }}),

plans_in_good_standing as (
    select distinct guarantor_id from {{ ref('int_plan_status') }}
    where in_good_standing
),

delivered as (
    select
        guarantor_id,
        attempt_date as proof_date
    from attempts
    where is_delivered
    union all
    select
        guarantor_id,
        occurred_date as proof_date
    from {{ ref('int_contact_events') }}
    where is_delivered and source = 'sendgrid'
),

conversations as (
    select
        guarantor_id,
        response_date as proof_date
    from {{ ref('int_guarantor_responses') }}
    where response_type <> 'payment'
),

returns as (
    select
        c.guarantor_id,
        c.occurred_date
    from {{ ref('int_contact_events') }} as c
    where c.effect = 'returned_mail'
),

mailed_not_returned as (
    select
        a.guarantor_id,
        a.attempt_date as proof_date
    from attempts as a
    cross join run
    where a.channel = 'mail'
        and {{ days_between('a.attempt_date', 'run.as_of_date') }}
        >= run.placement_mailed_statement_not_returned_days
        and not exists (
            select 1 from returns as r
            where r.guarantor_id = a.guarantor_id and r.occurred_date >= a.attempt_date
        )
),

proofs as (
    select
        p.guarantor_id,
        p.proof_kind
    from (
        select
            guarantor_id,
            proof_date,
            'delivered' as proof_kind
        from delivered
        union all
        select
            guarantor_id,
            proof_date,
            'conversation'
        from conversations
        union all
        select
            guarantor_id,
            proof_date,
            'mailed_not_returned'
        from mailed_not_returned
    ) as p
    inner join episodes as e
        on p.guarantor_id = e.guarantor_id and p.proof_date >= e.episode_start
),

proof_kinds as (
    select
        guarantor_id,
        {{ dbt.listagg('proof_kind', "','", 'order by proof_kind') }} as proof_of_contact
    from (
        select distinct
            guarantor_id,
            proof_kind
        from proofs
    ) as k
    group by guarantor_id
),

final_notices as (
    select
        a.guarantor_id,
        min(a.attempt_date) as final_notice_date
    from attempts as a
    where a.attempt_source = 'send_ledger' and a.step = 'final_notice'
    group by a.guarantor_id
),

base as (
    select
        e.guarantor_id,
        e.episode_start,
        e.balance,
        e.age_days,
        s.segment,
        i.first_statement_date,
        i.first_statement_source,
        i.days_since_first_statement,
        case when s.segment = 'silent_aged' then run.placement_days_since_first_statement_silent
            else run.placement_days_since_first_statement
        end as required_days_since_first_statement,
        coalesce(ac.documented_attempts, 0) as documented_attempts,
        coalesce(ac.attempt_channel_count, 0) as attempt_channel_count,
        coalesce(acl.attempt_channels, '') as attempt_channels,
        coalesce(cp.cadence_steps, 0) as cadence_steps,
        coalesce(cp.cadence_steps_done, 0) as cadence_steps_done,
        cp.missing_cadence_steps,
        fl.has_open_dispute,
        fl.hardship_state,
        pg.guarantor_id is not null as has_plan_in_good_standing,
        fl.is_deceased,
        fl.is_bankrupt,
        fl.has_open_placement_before as is_placement_open,
        fl.was_placed_before,
        fl.last_placed_before_date,
        i.last_payment_date,
        coalesce(
            {{ days_between('i.last_payment_date', 'run.as_of_date') }}
            between 0 and run.placement_no_payment_days,
            false
        ) as has_recent_payment,
        pk.proof_of_contact,
        fn.final_notice_date,
        coalesce(run.clinic_nonprofit_501r, false) as is_nonprofit_mode,
        run.placement_min_balance,
        run.placement_min_documented_attempts,
        run.placement_min_channels,
        run.placement_nonprofit_days_since_first_statement,
        run.placement_nonprofit_final_notice_days,
        run.as_of_date,
        run.policy_version
    from episodes as e
    cross join run
    inner join guarantors as g on e.guarantor_id = g.guarantor_id
    left join status as s on e.guarantor_id = s.guarantor_id
    left join itemization as i on e.guarantor_id = i.guarantor_id
    left join attempt_counts as ac on e.guarantor_id = ac.guarantor_id
    left join attempt_channel_list as acl on e.guarantor_id = acl.guarantor_id
    left join cadence_progress as cp on e.guarantor_id = cp.guarantor_id
    inner join flags as fl on e.guarantor_id = fl.guarantor_id
    left join plans_in_good_standing as pg on e.guarantor_id = pg.guarantor_id
    left join proof_kinds as pk on e.guarantor_id = pk.guarantor_id
    left join final_notices as fn on e.guarantor_id = fn.guarantor_id
),

checked as (
    select
        base.*,
        -- one boolean per rule: true = met
        base.balance >= base.placement_min_balance as passes_min_balance,
        coalesce(base.days_since_first_statement >= base.required_days_since_first_statement, false)
            as passes_days_since_first_statement,
        base.cadence_steps > 0 and base.cadence_steps_done = base.cadence_steps as passes_cadence_complete,
        base.documented_attempts >= base.placement_min_documented_attempts
        and base.attempt_channel_count >= base.placement_min_channels as passes_documented_attempts,
        not base.has_open_dispute as passes_open_dispute,
        base.hardship_state = 'none' as passes_hardship,
        not base.has_plan_in_good_standing as passes_active_plan_in_good_standing,
        not base.is_deceased as passes_deceased,
        not base.is_bankrupt as passes_bankrupt,
        not base.was_placed_before as passes_already_placed,
        not base.has_recent_payment as passes_recent_payment,
        base.proof_of_contact is not null as passes_proof_of_contact,
        not base.is_nonprofit_mode
        or coalesce(base.days_since_first_statement >= base.placement_nonprofit_days_since_first_statement, false)
            as passes_nonprofit_days_since_first_statement,
        not base.is_nonprofit_mode
        or coalesce(
            {{ days_between('final_notice_date', 'as_of_date') }}
            >= base.placement_nonprofit_final_notice_days,
            false
        ) as passes_final_notice
    from base
)

select
    guarantor_id,
    episode_start,
    balance,
    age_days,
    segment,
    first_statement_date,
    first_statement_source,
    days_since_first_statement,
    required_days_since_first_statement,
    documented_attempts,
    attempt_channel_count,
    attempt_channels,
    cadence_steps,
    cadence_steps_done,
    missing_cadence_steps,
    has_open_dispute,
    hardship_state,
    has_plan_in_good_standing,
    is_deceased,
    is_bankrupt,
    is_placement_open,
    was_placed_before,
    last_placed_before_date,
    last_payment_date,
    has_recent_payment,
    proof_of_contact is not null as has_proof_of_contact,
    proof_of_contact as proof_of_contact_kinds,
    final_notice_date,
    is_nonprofit_mode,
    passes_min_balance,
    passes_days_since_first_statement,
    passes_cadence_complete,
    passes_documented_attempts,
    passes_open_dispute,
    passes_hardship,
    passes_active_plan_in_good_standing,
    passes_deceased,
    passes_bankrupt,
    passes_already_placed,
    passes_recent_payment,
    passes_proof_of_contact,
    passes_nonprofit_days_since_first_statement,
    passes_final_notice,
    passes_min_balance
    and passes_days_since_first_statement
    and passes_cadence_complete
    and passes_documented_attempts
    and passes_open_dispute
    and passes_hardship
    and passes_active_plan_in_good_standing
    and passes_deceased
    and passes_bankrupt
    and passes_already_placed
    and passes_recent_payment
    and passes_proof_of_contact
    and passes_nonprofit_days_since_first_statement
    and passes_final_notice as is_eligible,
    as_of_date,
    policy_version
from checked

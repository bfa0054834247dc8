-- The 501(r) final-notice letters due on the as-of date D (docs/rules.md §8, 26 CFR 1.501(r)-6):
-- in nonprofit mode (clinic_nonprofit_501r), a guarantor who would otherwise become placeable
-- gets a one-page final notice by mail at least placement_nonprofit_final_notice_days before
-- placement. Same shape as int_touch_candidates (which appends these rows), so the notice goes
-- through the same holds, hold report, send ledger and mail path as a statement.
-- Due when all hold:
--   * nonprofit mode;
--   * every placement rule of int_placement_checks is met except final_notice and the two
--     clocks (days_since_first_statement, nonprofit_days_since_first_statement);
--   * the clocks are within the notice period: days since the first statement ≥ each
--     required number of days − placement_nonprofit_final_notice_days (so the notice leaves
--     30 days before the guarantor could be placed, and placement follows the notice by ≥ 30
--     days: the final_notice rule of int_placement_checks);
--   * no final_notice of this episode in the send ledger (sent, delivered, skipped or failed,
--     on or before D), as for a cadence step.
-- plan_status: skipped with the mail block reason when mail is blocked (no address, returned
-- mail; the notice cannot be given, so the guarantor is never placed in nonprofit mode),
-- else candidate. touch_id = hash(guarantor_id|episode_start|'final_notice').
with run as (
    select
        {{ as_of_date() }} as as_of_date,
        coalesce(clinic_nonprofit_501r, false) as is_nonprofit_mode,
        placement_nonprofit_days_since_first_statement,
        placement_nonprofit_final_notice_days
    from {{ ref('stg_policy') }}
),

cadence_end as (
    select max(step_order) as last_step_order from {{ ref('stg_policy_cadence') }}
),

episodes as (select * from {{ ref('int_guarantor_episodes') }}),

checks as (select * from {{ ref('int_placement_checks') }}),

guardrails as (select * from {{ ref('int_touch_guardrails') }}),

done as (
    select distinct
        l.guarantor_id,
        l.episode_start
    from {{ ref('stg_send_ledger') }} as l
    cross join run
    where l.step = 'final_notice'
        and l.status in ('sent', 'delivered', 'skipped', 'failed')
        and l.as_of_date <= run.as_of_date
),

due as (
    select
        e.guarantor_id,
        e.episode_start,
        e.age_days,
        g.household_id,
        g.mail_block_reason
    from checks as c
    cross join run
    inner join episodes as e on c.guarantor_id = e.guarantor_id
    inner join guardrails as g on c.guarantor_id = g.guarantor_id
    where run.is_nonprofit_mode
        and e.episode_start is not null
        and c.passes_min_balance
        and c.passes_cadence_complete
        and c.passes_documented_attempts
        and c.passes_open_dispute
        and c.passes_hardship
        and c.passes_active_plan_in_good_standing
        and c.passes_deceased
        and c.passes_bankrupt
        and c.passes_already_placed
        and c.passes_recent_payment
        and c.passes_proof_of_contact
        and c.final_notice_date is null
        and c.days_since_first_statement
        >= c.required_days_since_first_statement - run.placement_nonprofit_final_notice_days
        and c.days_since_first_statement
        >= run.placement_nonprofit_days_since_first_statement - run.placement_nonprofit_final_notice_days
        and not exists (
            select 1 from done as d
            where d.guarantor_id = e.guarantor_id and d.episode_start = e.episode_start
        )
)

select
    {{ dbt.hash(dbt.concat([
        'd.guarantor_id', "'|'", dbt.safe_cast('d.episode_start', dbt.type_string()), "'|'", "'final_notice'"
    ])) }} as touch_id,
    d.guarantor_id,
    d.household_id,
    d.episode_start,
    'final_notice' as step,
    ce.last_step_order + 1 as step_order,
    cast(null as {{ dbt.type_int() }}) as step_day,
    'mail' as channel,
    cast(null as {{ dbt.type_string() }}) as variant,
    d.age_days,
    run.as_of_date as step_reached_date,
    case when d.mail_block_reason is not null then 'skipped' else 'candidate' end as plan_status,
    d.mail_block_reason as skip_reason
from due as d
cross join run
cross join cadence_end as ce

-- Each guarantor's balance as of the date: the sum of their encounter balances plus
-- on-account money; age = age of the oldest encounter with a balance > 0 (DOMAIN.md §1).
with enc as (
    select
        guarantor_id,
        sum(balance) as encounter_balance,
        sum(case when balance > 0 then balance else 0 end) as open_encounter_balance,
        max(case when balance > 0 then age_days end) as age_days,
        min(case when balance > 0 then balance_date end) as oldest_open_balance_date,
        count(case when balance > 0 then 1 end) as open_encounters
    from {{ ref('fct_encounter_balances') }}
    group by guarantor_id
),
on_account as (
    select guarantor_id, balance_effect as on_account_balance
    from {{ ref('int_postings_as_of') }}
    where encounter_id is null
),
guarantors as (
    select guarantor_id from enc
    union
    select guarantor_id from on_account
)
select
    g.guarantor_id,
    {{ money('coalesce(enc.encounter_balance, 0)') }} as encounter_balance,
    {{ money('coalesce(oa.on_account_balance, 0)') }} as on_account_balance,
    {{ money('coalesce(enc.encounter_balance, 0) + coalesce(oa.on_account_balance, 0)') }} as balance,
    {{ money('coalesce(enc.open_encounter_balance, 0)') }} as open_encounter_balance,
    coalesce(enc.open_encounters, 0) as open_encounters,
    enc.age_days,
    enc.oldest_open_balance_date
from guarantors as g
left join enc on enc.guarantor_id = g.guarantor_id
left join on_account as oa on oa.guarantor_id = g.guarantor_id

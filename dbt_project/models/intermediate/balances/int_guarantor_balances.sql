-- Each guarantor's balance on the as-of date D (docs/rules.md §1 "Balances"): the sum
-- of their encounter balances (int_encounter_balances) plus on-account money (the balance
-- ledger's postings without an encounter, effective on or before D); age = age of the oldest
-- encounter with a balance > 0; last_payment_date = the guarantor's latest payment posted on or
-- before D (any payment: a copay waiting on a pending visit too).
with run as (select {{ as_of_date() }} as as_of_date),

enc as (
    select
        guarantor_id,
        sum(balance) as encounter_balance,
        sum(case when balance > 0 then balance else 0 end) as open_encounter_balance,
        max(case when balance > 0 then age_days end) as age_days,
        min(case when balance > 0 then balance_date end) as oldest_open_balance_date,
        count(case when balance > 0 then 1 end) as open_encounters
    from {{ ref('int_encounter_balances') }}
    group by guarantor_id
),

on_account as (
    select
        l.guarantor_id,
        sum(l.amount) as on_account_balance
    from {{ ref('int_balance_ledger') }} as l
    cross join run
    where l.encounter_id is null and l.effective_date <= run.as_of_date
    group by l.guarantor_id
),

last_payments as (
    select
        t.guarantor_id,
        max(t.posted_date) as last_payment_date
    from {{ ref('stg_patient_transactions') }} as t
    cross join run
    where t.transaction_type = 'payment' and t.posted_date <= run.as_of_date
    group by t.guarantor_id
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
    enc.oldest_open_balance_date,
    lp.last_payment_date
from guarantors as g
left join enc on g.guarantor_id = enc.guarantor_id
left join on_account as oa on g.guarantor_id = oa.guarantor_id
left join last_payments as lp on g.guarantor_id = lp.guarantor_id

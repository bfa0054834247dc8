-- The phone numbers each guarantor has had on file (E.164, stg_guarantors.phone_e164), as the
-- daily runs saw them (docs/rules.md, "Wrong number"): a row when a run first sees a
-- guarantor, and a row each time a later run sees a different normalised number (a re-sent
-- row with the same number in another format, a consent or an address edit adds nothing).
-- valid_from = the guarantor row's updated_at when the number was first seen.
-- The landing zone keeps only the latest version of a guarantor row, so this history is kept
-- here, run after run (incremental). A rebuild from scratch (--full-refresh) starts it again
-- from the numbers on file: a wrong number logged before then is then taken to concern the
-- number first seen (the block holds until that number changes: fail closed).
with current_numbers as (
    select
        guarantor_id,
        phone_e164,
        coalesce(updated_at, cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }})) as valid_from
    from {{ ref('stg_guarantors') }}
){% if is_incremental() %},

known as (
    select
        guarantor_id,
        phone_e164
    from (
        select
            guarantor_id,
            phone_e164,
            row_number() over (partition by guarantor_id order by valid_from desc, seen_seq desc)
                as recency
        from {{ this }}
    ) as h
    where recency = 1
),

seq as (select coalesce(max(seen_seq), 0) + 1 as next_seq from {{ this }})

select
    c.guarantor_id,
    c.phone_e164,
    c.valid_from,
    seq.next_seq as seen_seq,
    {{ as_of_date() }} as first_seen_as_of_date
from current_numbers as c
cross join seq
left join known as k on c.guarantor_id = k.guarantor_id
where k.guarantor_id is null
    or not (c.phone_e164 = k.phone_e164 or (c.phone_e164 is null and k.phone_e164 is null))
{% else %}
select
    guarantor_id,
    phone_e164,
    valid_from,
    1 as seen_seq,
    {{ as_of_date() }} as first_seen_as_of_date
from current_numbers
{% endif %}

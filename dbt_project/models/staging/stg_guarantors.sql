-- One row per guarantor; effective time zone resolved (own, else state's, else clinic's) and
-- the phone as E.164 (phone_e164, null when it cannot be texted or called): the one
-- normalisation the plan and the hand-off share (docs/rules.md, "Phone numbers"), so the day's
-- plan already knows a bad number and never spends the daily cap on a touch that cannot leave.
--   an extension (x12, ext. 12) is dropped; only digits, space ( ) . + - / are allowed;
--   + or 00 then 1: NANP, 11 digits; + or 00 then another country code: 8–15 digits;
--   otherwise a US 10-digit number (a leading 1 is dropped), NANP: area code and exchange 2–9.
with g as (select * from {{ source('raw', 'guarantors') }}),

states as (select * from {{ ref('state_timezones') }}),

policy as (select * from {{ source('raw', 'policy') }}),

phone_text as (
    select
        guarantor_id,
        {{ regexp_replace_all('lower(trim(phone))', '[ ]*(ext[.]?|x)[ ]*[0-9]+$', '') }} as phone_text
    from g
),

phone_parts as (
    select
        guarantor_id,
        phone_text,
        coalesce({{ regexp_test('phone_text', '[^0-9 ().+/-]') }}, false) as has_bad_character,
        phone_text like '+%' or phone_text like '00%' as has_country_code,
        case
            when phone_text like '00%'
                then substring({{ regexp_replace_all('phone_text', '[^0-9]', '') }}, 3)
            else {{ regexp_replace_all('phone_text', '[^0-9]', '') }}
        end as digits
    from phone_text
),

phones as (
    select
        guarantor_id,
        case
            when phone_text is null or phone_text = '' or has_bad_character then null
            when has_country_code and digits like '1%'
                then
                    case when length(digits) = 11
                            and {{ regexp_test('substring(digits, 2)', '^[2-9][0-9]{2}[2-9][0-9]{6}$') }}
                            then {{ dbt.concat(["'+'", 'digits']) }}
                    end
            when has_country_code
                then
                    case when length(digits) between 8 and 15 and digits not like '0%'
                            then {{ dbt.concat(["'+'", 'digits']) }}
                    end
            when length(digits) = 11 and digits like '1%'
                and {{ regexp_test('substring(digits, 2)', '^[2-9][0-9]{2}[2-9][0-9]{6}$') }}
                then {{ dbt.concat(["'+'", 'digits']) }}
            when length(digits) = 10 and {{ regexp_test('digits', '^[2-9][0-9]{2}[2-9][0-9]{6}$') }}
                then {{ dbt.concat(["'+1'", 'digits']) }}
        end as phone_e164
    from phone_parts
)

select
    g.guarantor_id,
    coalesce(g.household_id, g.guarantor_id) as household_id,
    g.first_name,
    g.last_name,
    g.date_of_birth,
    g.address_line1,
    g.address_line2,
    g.city,
    g.state,
    g.postal_code,
    g.phone,
    p.phone_e164,
    g.email,
    coalesce(g.timezone, states.timezone, policy.clinic_timezone) as timezone,
    g.preferred_channel,
    coalesce(g.language, 'en') as language,
    g.sms_consent_at,
    g.sms_consent_date,
    g.email_consent_at,
    g.email_consent_date,
    g.card_on_file_consent_at,
    g.card_on_file_consent_date,
    g.sms_opt_out_at,
    g.sms_opt_out_date,
    g.email_opt_out_at,
    g.email_opt_out_date,
    g.address_verified_at as address_verified_date,
    g.deceased_at as deceased_date,
    g.bankruptcy_filed_at as bankruptcy_filed_date,
    g.updated_at
from g
cross join policy
left join states on g.state = states.state
left join phones as p on g.guarantor_id = p.guarantor_id

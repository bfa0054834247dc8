-- One row per guarantor; effective time zone resolved (own, else state's, else clinic's).
with g as (select * from {{ source('raw', 'guarantors') }}),
states as (select * from {{ ref('state_timezones') }}),
policy as (select * from {{ source('raw', 'policy') }})
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
left join states on states.state = g.state

select
    plan_id,
    guarantor_id,
    created_at,
    created_date,
    approved_by,
    total_amount,
    installment_amount,
    installment_count,
    first_due_date,
    frequency,
    coalesce(card_on_file, false) as has_card_on_file,
    status,
    status_changed_at,
    status_changed_date,
    updated_at
from {{ source('raw', 'payment_plans') }}

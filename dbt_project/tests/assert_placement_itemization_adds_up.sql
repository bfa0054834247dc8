-- docs/rules.md §8 itemization: the balance on the as-of date equals the itemization amount plus
-- charges since, less payments and credits since (to the cent).
select i.*
from {{ ref('int_placement_itemization') }} as i
inner join {{ ref('int_guarantor_balances') }} as b on i.guarantor_id = b.guarantor_id
where i.itemization_amount + i.charges_since_itemization - i.payments_since_itemization
    - i.credits_since_itemization <> b.balance

-- Staff work queues of the as-of date (OUTPUTS.md): the items of int_queue_items (DOMAIN §9,
-- docs/rules.md "Queues").
select * from {{ ref('int_queue_items') }}

-- Staff work queues of the as-of date (docs/rules.md §9 "Queues"; docs/outputs.md): the items of
-- int_queue_items.
select * from {{ ref('int_queue_items') }}

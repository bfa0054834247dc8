-- One refund work item per guarantor with a credit on the as-of date (docs/outputs.md): the
-- items
-- of int_refund_items (docs/rules.md §7 "Refunds").
select * from {{ ref('int_refund_items') }}

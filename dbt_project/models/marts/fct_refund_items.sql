-- One refund work item per guarantor with a credit on the as-of date (OUTPUTS.md): the items
-- of int_refund_items (DOMAIN §7, docs/rules.md "Refunds").
select * from {{ ref('int_refund_items') }}

{#- The correspondence a guarantor hold still allows (docs/rules.md §4 "only dispute
    correspondence"): the steps exempt from each hold rule, in one place for the holds
    (int_touch_holds) and for the send gate's recomputation (fct_touch_audience). -#}
{% macro hold_exempt_steps(rule) -%}
    {%- set exempt = {
        'open_dispute': ['dispute_review'],
        'hardship_active': ['hardship_review', 'hardship_decision'],
        'hardship_pending': ['hardship_application', 'hardship_decision'],
    } -%}
    ('{{ exempt[rule] | join("', '") }}')
{%- endmacro %}

{#- The first guarantor hold (int_touch_guardrails columns, alias g) that applies to a touch
    of step `step`, or null: the holds' own order (deceased, bankrupt, placed, open_dispute,
    hardship_active, hardship_pending). -#}
{% macro first_guarantor_hold(g, step) -%}
    case
        when {{ g }}.is_deceased then 'deceased'
        when {{ g }}.is_bankrupt then 'bankrupt'
        when {{ g }}.is_placed then 'placed'
        when {{ g }}.has_open_dispute and {{ step }} not in {{ hold_exempt_steps('open_dispute') }}
            then 'open_dispute'
        when {{ g }}.hardship_state = 'active' and {{ step }} not in {{ hold_exempt_steps('hardship_active') }}
            then 'hardship_active'
        when {{ g }}.hardship_state = 'pending' and {{ step }} not in {{ hold_exempt_steps('hardship_pending') }}
            then 'hardship_pending'
    end
{%- endmacro %}

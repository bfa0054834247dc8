{#- A subquery of the integers 0 .. n-1 in one column `num`, portable SQL: cross joins of a
    ten-row digits list (no generate_series/range). `n` is a compile-time integer.
    Use: `from {{ numbers(1000) }} as seq`. -#}
{% macro numbers(n) -%}
    {%- set n = n | int -%}
    {%- set places = (n - 1) | string | length if n > 1 else 1 -%}
    (
        select num from (
            select
                {% for p in range(places) -%}
                d{{ p }}.digit * {{ 10 ** p }}{% if not loop.last %} + {% endif %}
                {%- endfor %} as num
            from
                {% for p in range(places) -%}
                (
                    select 0 as digit union all select 1 union all select 2 union all select 3
                    union all select 4 union all select 5 union all select 6 union all select 7
                    union all select 8 union all select 9
                ) as d{{ p }}{% if not loop.last %}
                cross join
                {% endif %}
                {%- endfor %}
        ) as numbers_product
        where num < {{ n }}
    )
{%- endmacro %}

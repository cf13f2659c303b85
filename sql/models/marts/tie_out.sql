-- grain: one row per compared figure: tenant_id, check_name, period_end, subject, measure
-- (every figure of Xero's report snapshots beside the warehouse's, tied, explained or
-- broken)

{%- set checks = [
    'int_tie_out__trial_balance',
    'int_tie_out__profit_and_loss',
    'int_tie_out__balance_sheet',
    'int_tie_out__bank_summary',
    'int_tie_out__aged',
] %}

with

{% for check in checks %}
{{ check }} as (
    select * from {{ ref(check) }}
),

{% endfor %}
final as (
    {%- for check in checks %}
    select * from {{ check }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final

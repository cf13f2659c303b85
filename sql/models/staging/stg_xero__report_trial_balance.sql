-- grain: one row per tenant_id, report_date, line (one line of Xero's Trial Balance as at
-- a month-end; empty cells as 0)

with

report as (
    select * from {{ xero_source('report_trial_balance') }}
),

final as (
    {{ xero_report_columns('report_trial_balance', 'report') }}
)

select * from final

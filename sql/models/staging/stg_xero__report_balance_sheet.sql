-- grain: one row per tenant_id, report_date, line (one line of Xero's Balance Sheet as at a
-- month-end)

with

report as (
    select * from {{ xero_source('report_balance_sheet') }}
),

final as (
    {{ xero_report_columns('report_balance_sheet', 'report') }}
)

select * from final

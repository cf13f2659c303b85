-- grain: one row per tenant_id, report_date, line (one line of Xero's Profit and Loss for
-- the calendar month ending on report_date)

with

report as (
    select * from {{ xero_source('report_profit_and_loss') }}
),

final as (
    {{ xero_report_columns('report_profit_and_loss', 'report') }}
)

select * from final

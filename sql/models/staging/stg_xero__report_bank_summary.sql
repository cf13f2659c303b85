-- grain: one row per tenant_id, report_date, line (one line of Xero's Bank Summary for the
-- calendar month ending on report_date)

with

report as (
    select * from {{ xero_source('report_bank_summary') }}
),

final as (
    {{ xero_report_columns('report_bank_summary', 'report') }}
)

select * from final

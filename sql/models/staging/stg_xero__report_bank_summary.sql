-- grain: one row per tenant_id, report_date, line (one line of Xero's Bank Summary for the
-- calendar month ending on report_date)

with

report as (
    select * from {{ xero_source('report_bank_summary') }}
),

final as (
    select
        -- ids
        tenant_id,
        account_id,

        -- strings
        section,
        row_type,
        label,

        -- numerics
        line,
        cast(coalesce(opening_balance, 0) as decimal(18, 2)) as opening_balance,
        cast(coalesce(cash_received, 0) as decimal(18, 2)) as cash_received,
        cast(coalesce(cash_spent, 0) as decimal(18, 2)) as cash_spent,
        cast(coalesce(closing_balance, 0) as decimal(18, 2)) as closing_balance,

        -- dates
        period_start,
        report_date

    from report
)

select * from final

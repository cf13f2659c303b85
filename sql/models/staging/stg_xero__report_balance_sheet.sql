-- grain: one row per tenant_id, report_date, line (one line of Xero's Balance Sheet as at a
-- month-end)

with

report as (
    select * from {{ xero_source('report_balance_sheet') }}
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
        cast(coalesce(amount, 0) as decimal(18, 2)) as amount,

        -- dates
        report_date

    from report
)

select * from final

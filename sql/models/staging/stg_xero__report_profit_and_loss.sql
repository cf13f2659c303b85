-- grain: one row per tenant_id, report_date, line (one line of Xero's Profit and Loss for
-- the calendar month ending on report_date)

with

report as (
    select * from {{ xero_source('report_profit_and_loss') }}
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
        period_start,
        report_date

    from report
)

select * from final

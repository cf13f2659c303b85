-- grain: one row per tenant_id, report_date, line (one line of Xero's Trial Balance as at
-- a month-end; empty cells as 0)

with

report as (
    select * from {{ xero_source('report_trial_balance') }}
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
        cast(coalesce(debit, 0) as decimal(18, 2)) as debit,
        cast(coalesce(credit, 0) as decimal(18, 2)) as credit,
        cast(coalesce(ytd_debit, 0) as decimal(18, 2)) as ytd_debit,
        cast(coalesce(ytd_credit, 0) as decimal(18, 2)) as ytd_credit,

        -- dates
        report_date

    from report
)

select * from final

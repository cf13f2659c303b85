-- grain: one row per tenant_id, period_end, line (each account line and Current Year
-- Earnings of Xero's Balance Sheet snapshots against rpt_balance_sheet)

with

compared_lines as (
    select * from {{ ref('int_balance_sheet_compared') }}
),

revaluation as (
    select * from {{ ref('int_balance_sheet_revaluation') }}
),

compared as (
    select
        compared_lines.tenant_id,
        'balance_sheet' as check_name,
        cast(null as date) as period_start,
        compared_lines.period_end,
        compared_lines.account_id as subject_id,
        compared_lines.subject_name,
        'amount' as measure,
        compared_lines.warehouse_value,
        compared_lines.xero_value,
        -- explained: a line where the revaluation lands, when the control accounts and
        -- equity carry the same revaluation (the differences net to zero)
        case
            when
                compared_lines.revaluation_role is not null
                and revaluation.revaluation_in_control_accounts
                = revaluation.revaluation_in_equity
                then
                    'unrealised currency revaluation of open foreign-currency invoices and '
                    || 'bills at the report date, '
                    || cast(revaluation.revaluation_in_equity as varchar)
                    || ' in total: Xero shows it in receivables/payables and earnings, no '
                    || 'journal holds it'
        end as explanation
    from compared_lines
    inner join revaluation
        on
            compared_lines.tenant_id = revaluation.tenant_id
            and compared_lines.period_end = revaluation.period_end
),

final as (
    {{ tie_out_contract('compared') }}
)

select * from final

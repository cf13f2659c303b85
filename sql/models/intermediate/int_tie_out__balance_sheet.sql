-- grain: one row per tenant_id, period_end, line (each account line, Current Year Earnings
-- and Net Assets of Xero's Balance Sheet snapshots against rpt_balance_sheet)

with

compared_lines as (
    select * from {{ ref('int_balance_sheet_compared') }}
),

revaluation as (
    select * from {{ ref('int_balance_sheet_revaluation') }}
),

report as (
    select * from {{ ref('stg_xero__report_balance_sheet') }}
),

account_lines as (
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

-- Net Assets: assets less liabilities. Explained when its difference is exactly the
-- reconciled revaluation of the control accounts.
warehouse_net_assets as (
    select
        tenant_id,
        period_end,
        sum(debit_sign * warehouse_value) as net_assets
    from compared_lines
    where section != 'Equity' and warehouse_value is not null
    group by tenant_id, period_end
),

report_net_assets as (
    select
        tenant_id,
        report_date as period_end,
        amount as net_assets
    from report
    where section is null and label = 'Net Assets'
),

net_assets as (
    select
        report_net_assets.tenant_id,
        'balance_sheet' as check_name,
        cast(null as date) as period_start,
        report_net_assets.period_end,
        cast(null as varchar) as subject_id,
        'Net Assets' as subject_name,
        'total' as measure,
        warehouse_net_assets.net_assets as warehouse_value,
        report_net_assets.net_assets as xero_value,
        case
            when
                revaluation.revaluation_in_control_accounts != 0
                and revaluation.revaluation_in_control_accounts
                = revaluation.revaluation_in_equity
                and coalesce(warehouse_net_assets.net_assets, 0) - report_net_assets.net_assets
                = -revaluation.revaluation_in_control_accounts
                then
                    'unrealised currency revaluation of open foreign-currency invoices and '
                    || 'bills in receivables/payables, '
                    || cast(revaluation.revaluation_in_control_accounts as varchar)
                    || '; no journal holds it'
        end as explanation
    from report_net_assets
    left join warehouse_net_assets
        on
            report_net_assets.tenant_id = warehouse_net_assets.tenant_id
            and report_net_assets.period_end = warehouse_net_assets.period_end
    left join revaluation
        on
            report_net_assets.tenant_id = revaluation.tenant_id
            and report_net_assets.period_end = revaluation.period_end
),

compared as (
    select * from account_lines
    union all
    select * from net_assets
),

final as (
    {{ tie_out_contract('compared') }}
)

select * from final

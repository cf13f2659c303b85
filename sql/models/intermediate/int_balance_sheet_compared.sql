-- grain: one row per tenant_id, period_end, line_id (each account line and the Current Year
-- Earnings line of Xero's Balance Sheet snapshots beside rpt_balance_sheet's; lines on one
-- side only included)

with

warehouse as (
    select * from {{ ref('rpt_balance_sheet') }}
),

report as (
    select * from {{ ref('stg_xero__report_balance_sheet') }}
),

accounts as (
    select * from {{ ref('int_ledger_accounts') }}
),

snapshots as (
    select distinct tenant_id, report_date from report
),

warehouse_lines as (
    select warehouse.*
    from warehouse
    inner join snapshots
        on
            warehouse.tenant_id = snapshots.tenant_id
            and warehouse.as_of_date = snapshots.report_date
),

report_lines as (
    select
        *,
        coalesce(account_id, 'current-year-earnings') as line_id
    from report
    where
        account_id is not null
        or (section = 'Equity' and label = 'Current Year Earnings')
),

joined as (
    select
        coalesce(warehouse_lines.tenant_id, report_lines.tenant_id) as tenant_id,
        coalesce(warehouse_lines.as_of_date, report_lines.report_date) as period_end,
        coalesce(warehouse_lines.line_id, report_lines.line_id) as line_id,
        coalesce(warehouse_lines.account_id, report_lines.account_id) as account_id,
        case
            when warehouse_lines.line_id is null then report_lines.label
            else
                concat_ws(
                    ' ', nullif(warehouse_lines.account_code, ''), warehouse_lines.account_name
                )
        end as subject_name,
        coalesce(warehouse_lines.section, report_lines.section) as section,
        warehouse_lines.amount as warehouse_value,
        report_lines.amount as xero_value
    from warehouse_lines
    full outer join report_lines
        on
            warehouse_lines.tenant_id = report_lines.tenant_id
            and warehouse_lines.as_of_date = report_lines.report_date
            and warehouse_lines.line_id = report_lines.line_id
),

final as (
    select
        joined.*,
        {{ xero_balance_sheet_sign('joined.section') }} as debit_sign,
        -- where Xero's revaluation of open foreign-currency documents lands
        case
            when accounts.system_account in ('DEBTORS', 'CREDITORS') then 'control'
            when accounts.system_account = 'RETAINEDEARNINGS' then 'equity'
            when joined.line_id = 'current-year-earnings' then 'equity'
        end as revaluation_role
    from joined
    left join accounts
        on
            joined.tenant_id = accounts.tenant_id
            and joined.account_id = accounts.account_id
)

select * from final

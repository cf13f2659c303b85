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

warehouse_lines as (
    {{ tie_out_snapshotted('warehouse', 'report', 'as_of_date') }}
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
    {{ tie_out_sides(
        'warehouse_lines',
        'report_lines',
        [
            ['tenant_id', 'tenant_id', 'tenant_id'],
            ['as_of_date', 'report_date', 'period_end'],
            ['line_id', 'line_id', 'line_id'],
        ],
        [['amount', 'amount', 'value'], ['section', 'section', 'section']],
    ) }}
),

final as (
    select
        joined.tenant_id,
        joined.period_end,
        joined.line_id,
        nullif(joined.line_id, 'current-year-earnings') as account_id,
        joined.subject_name,
        coalesce(joined.warehouse_section, joined.xero_section) as section,
        joined.warehouse_value,
        joined.xero_value,
        {{ xero_balance_sheet_sign('coalesce(joined.warehouse_section, joined.xero_section)') }}
        as debit_sign,
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
            and joined.line_id = accounts.account_id
)

select * from final

-- grain: one row per tenant_id, period_end, subject_id (each account line and the Net Profit
-- of Xero's monthly Profit and Loss snapshots against rpt_profit_and_loss)

with

warehouse as (
    select * from {{ ref('rpt_profit_and_loss') }}
),

report as (
    select * from {{ ref('stg_xero__report_profit_and_loss') }}
),

accounts as (
    select * from {{ ref('int_ledger_accounts') }}
),

revaluation as (
    select * from {{ ref('int_balance_sheet_revaluation') }}
),

warehouse_lines as (
    {{ tie_out_snapshotted('warehouse', 'report', 'month_end') }}
),

report_lines as (
    select * from report where account_id is not null
),

joined as (
    {{ tie_out_sides(
        'warehouse_lines',
        'report_lines',
        [
            ['tenant_id', 'tenant_id', 'tenant_id'],
            ['month_end', 'report_date', 'period_end'],
            ['account_id', 'account_id', 'subject_id'],
        ],
        [['amount', 'amount', 'value'], ['month', 'period_start', 'period_start']],
    ) }}
),

-- the unrealised gains line, debit positive, and the revaluation movement the balance
-- sheets show over the month (null when the previous month-end has no snapshot)
unrealised as (
    select
        joined.tenant_id,
        joined.period_end,
        joined.subject_id,
        {{ xero_statement_section('profit_and_loss', 'accounts.account_type', 'sign') }}
        * (coalesce(joined.warehouse_value, 0) - coalesce(joined.xero_value, 0))
        as difference_debit_positive,
        closing.revaluation_in_equity - opening.revaluation_in_equity as revaluation_movement,
        closing.revaluation_in_equity as closing_revaluation
    from joined
    inner join accounts
        on
            joined.tenant_id = accounts.tenant_id
            and joined.subject_id = accounts.account_id
    inner join revaluation as closing
        on
            joined.tenant_id = closing.tenant_id
            and joined.period_end = closing.period_end
            and closing.revaluation_in_control_accounts = closing.revaluation_in_equity
    left join revaluation as opening
        on
            joined.tenant_id = opening.tenant_id
            and coalesce(joined.warehouse_period_start, joined.xero_period_start) - 1
            = opening.period_end
            and opening.revaluation_in_control_accounts = opening.revaluation_in_equity
    where accounts.system_account = 'UNREALISEDCURRENCYGAIN'
),

account_lines as (
    select
        joined.tenant_id,
        'profit_and_loss' as check_name,
        coalesce(joined.warehouse_period_start, joined.xero_period_start) as period_start,
        joined.period_end,
        joined.subject_id,
        joined.subject_name,
        'amount' as measure,
        joined.warehouse_value,
        joined.xero_value,
        -- explained: the unrealised gains line, when its difference is the month's movement
        -- in the revaluation the balance sheets carry (or, for the first month snapshotted,
        -- when the closing balance sheet reconciles)
        case
            when unrealised.revaluation_movement = unrealised.difference_debit_positive
                then
                    'unrealised currency revaluation of open foreign-currency invoices and '
                    || 'bills: the month''s movement, '
                    || cast(unrealised.revaluation_movement as varchar)
                    || ', equals the balance sheets''; no journal holds it'
            when unrealised.subject_id is not null and unrealised.revaluation_movement is null
                then
                    'unrealised currency revaluation of open foreign-currency invoices and '
                    || 'bills (closing balance sheet revaluation '
                    || cast(unrealised.closing_revaluation as varchar)
                    || '); no snapshot of the previous month-end to check the movement'
        end as explanation
    from joined
    left join unrealised
        on
            joined.tenant_id = unrealised.tenant_id
            and joined.period_end = unrealised.period_end
            and joined.subject_id = unrealised.subject_id
),

-- Net Profit: income less costs and expenses. Explained when its difference is exactly
-- what the explained account lines (the unrealised gains) take off the profit.
explained_profit as (
    select
        account_lines.tenant_id,
        account_lines.period_end,
        sum(
            -{{ xero_statement_section('profit_and_loss', 'accounts.account_type', 'sign') }}
            * (coalesce(account_lines.warehouse_value, 0) - coalesce(account_lines.xero_value, 0))
        ) as difference
    from account_lines
    inner join accounts
        on
            account_lines.tenant_id = accounts.tenant_id
            and account_lines.subject_id = accounts.account_id
    where account_lines.explanation is not null
    group by account_lines.tenant_id, account_lines.period_end
),

warehouse_profit as (
    select
        tenant_id,
        month as period_start,
        month_end as period_end,
        sum(
            -{{ xero_statement_section('profit_and_loss', 'account_type', 'sign') }} * amount
        ) as net_profit
    from warehouse_lines
    group by tenant_id, month, month_end
),

report_profit as (
    select
        tenant_id,
        period_start,
        report_date as period_end,
        amount as net_profit
    from report
    where section is null and label = 'Net Profit'
),

net_profit as (
    select
        coalesce(warehouse_profit.tenant_id, report_profit.tenant_id) as tenant_id,
        'profit_and_loss' as check_name,
        coalesce(warehouse_profit.period_start, report_profit.period_start) as period_start,
        coalesce(warehouse_profit.period_end, report_profit.period_end) as period_end,
        cast(null as varchar) as subject_id,
        'Net Profit' as subject_name,
        'total' as measure,
        warehouse_profit.net_profit as warehouse_value,
        report_profit.net_profit as xero_value,
        case
            when
                explained_profit.difference != 0
                and coalesce(warehouse_profit.net_profit, 0)
                - coalesce(report_profit.net_profit, 0)
                = explained_profit.difference
                then
                    'unrealised currency revaluation of open foreign-currency invoices and '
                    || 'bills on the Unrealised Currency Gains line, '
                    || cast(explained_profit.difference as varchar)
                    || ' of profit; no journal holds it'
        end as explanation
    from warehouse_profit
    full outer join report_profit
        on
            warehouse_profit.tenant_id = report_profit.tenant_id
            and warehouse_profit.period_end = report_profit.period_end
    left join explained_profit
        on
            coalesce(warehouse_profit.tenant_id, report_profit.tenant_id)
            = explained_profit.tenant_id
            and coalesce(warehouse_profit.period_end, report_profit.period_end)
            = explained_profit.period_end
),

compared as (
    select * from account_lines
    union all
    select * from net_profit
),

final as (
    {{ tie_out_contract('compared') }}
)

select * from final

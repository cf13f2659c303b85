-- grain: one row per tenant_id, as_of_date, line_id (Xero's Balance Sheet as at each
-- month-end, from the journals: every account with a balance, and Current Year Earnings)

with

balances as (
    select * from {{ ref('int_ledger_balances_monthly') }}
),

accounts as (
    select * from {{ ref('int_ledger_accounts') }}
),

account_lines as (
    select
        balances.tenant_id,
        balances.as_of_date,
        balances.account_id as line_id,
        balances.account_id,
        accounts.account_code,
        accounts.account_name,
        accounts.account_type,
        {{ xero_statement_section('balance_sheet', 'accounts.account_type') }} as section,
        cast(
            {{ xero_statement_section('balance_sheet', 'accounts.account_type', 'sign') }}
            * balances.ytd_balance as decimal(18, 2)
        ) as amount
    from balances
    inner join accounts
        on
            balances.tenant_id = accounts.tenant_id
            and balances.account_id = accounts.account_id
    where
        not balances.is_profit_and_loss
        and balances.ytd_balance != 0
        and {{ xero_statement_section('balance_sheet', 'accounts.account_type') }} is not null
),

current_year_earnings as (
    select
        tenant_id,
        as_of_date,
        'current-year-earnings' as line_id,
        cast(null as varchar) as account_id,
        cast(null as varchar) as account_code,
        'Current Year Earnings' as account_name,
        cast(null as varchar) as account_type,
        'Equity' as section,
        cast(
            -sum(case when is_profit_and_loss then ytd_balance else 0 end) as decimal(18, 2)
        ) as amount
    from balances
    group by tenant_id, as_of_date
),

final as (
    select * from account_lines
    union all
    select * from current_year_earnings
)

select * from final

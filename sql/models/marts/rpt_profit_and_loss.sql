-- grain: one row per tenant_id, month, account_id (Xero's Profit and Loss for each calendar
-- month, from the journals: the accounts of its four sections with a movement)

with

balances as (
    select * from {{ ref('int_ledger_balances_monthly') }}
),

accounts as (
    select * from {{ ref('int_ledger_accounts') }}
),

final as (
    select
        -- ids
        balances.tenant_id,
        balances.account_id,

        -- strings
        accounts.account_code,
        accounts.account_name,
        accounts.account_type,
        accounts.account_class,
        {{ xero_statement_section('profit_and_loss', 'accounts.account_type') }} as section,

        -- numerics
        cast(
            {{ xero_statement_section('profit_and_loss', 'accounts.account_type', 'sign') }}
            * balances.month_net as decimal(18, 2)
        ) as amount,

        -- dates
        balances.month_start as month,
        balances.as_of_date as month_end

    from balances
    inner join accounts
        on
            balances.tenant_id = accounts.tenant_id
            and balances.account_id = accounts.account_id
    where
        balances.month_net != 0
        and {{ xero_statement_section('profit_and_loss', 'accounts.account_type') }} is not null
)

select * from final

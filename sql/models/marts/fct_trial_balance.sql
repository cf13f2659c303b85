-- grain: one row per tenant_id, as_of_date, account_id (Xero's Trial Balance as at each
-- month-end: the accounts with a movement in the month or a year-to-date balance)

with

balances as (
    select * from {{ ref('int_ledger_balances_monthly') }}
),

accounts as (
    select * from {{ ref('int_ledger_accounts') }}
),

shown as (
    select
        *,
        -- Xero puts the month's movement on the side of the year-to-date balance
        ytd_balance > 0 or (ytd_balance = 0 and month_net > 0) as is_debit
    from balances
    where month_net != 0 or ytd_balance != 0
),

final as (
    select
        -- ids
        shown.tenant_id,
        shown.account_id,

        -- strings
        accounts.account_code,
        accounts.account_name,
        accounts.account_type,
        accounts.account_class,

        -- numerics
        cast(case when shown.is_debit then shown.month_net else 0 end as decimal(18, 2))
        as debit,
        cast(case when shown.is_debit then 0 else -shown.month_net end as decimal(18, 2))
        as credit,
        cast(case when shown.is_debit then shown.ytd_balance else 0 end as decimal(18, 2))
        as ytd_debit,
        cast(case when shown.is_debit then 0 else -shown.ytd_balance end as decimal(18, 2))
        as ytd_credit,

        -- dates
        shown.as_of_date

    from shown
    left join accounts
        on
            shown.tenant_id = accounts.tenant_id
            and shown.account_id = accounts.account_id
)

select * from final

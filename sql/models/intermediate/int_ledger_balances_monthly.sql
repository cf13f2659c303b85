-- grain: one row per tenant_id, account_id, as_of_date (each month-end from the tenant's
-- first journal month to the as_of month, for every account with journal lines and for
-- Retained Earnings): the month's movement and the balance as Xero's reports show it

with

ledger as (
    select * from {{ ref('fct_general_ledger') }}
),

accounts as (
    select * from {{ ref('int_ledger_accounts') }}
),

organisations as (
    select * from {{ ref('stg_xero__organisations') }}
),

-- journal lines summed per month and financial year (a year may start mid-month)
period_nets as (
    select
        ledger.tenant_id,
        ledger.account_id,
        cast(date_trunc('month', ledger.journal_date) as date) as month_start,
        {{ xero_financial_year_start(
            'ledger.journal_date',
            'organisations.financial_year_end_day',
            'organisations.financial_year_end_month'
        ) }} as year_start,
        sum(ledger.net_amount) as net_amount
    from ledger
    inner join organisations
        on ledger.tenant_id = organisations.tenant_id
    group by 1, 2, 3, 4
),

first_months as (
    select
        tenant_id,
        min(month_start) as first_month
    from period_nets
    group by tenant_id
),

month_numbers as (
    select month_number from generate_series(0, 1199) as month_numbers (month_number)
),

months as (
    select
        first_months.tenant_id,
        cast(
            first_months.first_month + month_numbers.month_number * interval '1 month' as date
        ) as month_start
    from first_months
    cross join month_numbers
    where
        first_months.first_month + month_numbers.month_number * interval '1 month'
        <= cast(date_trunc('month', {{ as_of_date() }}) as date)
),

month_ends as (
    select
        months.tenant_id,
        months.month_start,
        {{ xero_month_end('months.month_start') }} as month_end,
        {{ xero_financial_year_start(
            xero_month_end('months.month_start'),
            'organisations.financial_year_end_day',
            'organisations.financial_year_end_month'
        ) }} as year_start
    from months
    inner join organisations
        on months.tenant_id = organisations.tenant_id
),

-- the month's movement, and the part of it in the month-end's financial year
month_nets as (
    select
        period_nets.tenant_id,
        period_nets.account_id,
        period_nets.month_start,
        sum(period_nets.net_amount) as month_net,
        sum(
            case when period_nets.year_start = month_ends.year_start then period_nets.net_amount end
        ) as year_month_net
    from period_nets
    inner join month_ends
        on
            period_nets.tenant_id = month_ends.tenant_id
            and period_nets.month_start = month_ends.month_start
    group by 1, 2, 3
),

ledger_accounts as (
    select distinct tenant_id, account_id from period_nets
    union
    select accounts.tenant_id, accounts.account_id
    from accounts
    inner join first_months
        on accounts.tenant_id = first_months.tenant_id
    where accounts.system_account = 'RETAINEDEARNINGS'
),

grid as (
    select
        month_ends.tenant_id,
        ledger_accounts.account_id,
        month_ends.month_start,
        month_ends.month_end,
        month_ends.year_start,
        coalesce(accounts.account_class in ('REVENUE', 'EXPENSE'), false) as is_profit_and_loss,
        coalesce(accounts.system_account = 'RETAINEDEARNINGS', false) as is_retained_earnings,
        coalesce(month_nets.month_net, 0) as month_net,
        coalesce(month_nets.year_month_net, 0) as year_month_net
    from month_ends
    inner join ledger_accounts
        on month_ends.tenant_id = ledger_accounts.tenant_id
    left join accounts
        on
            ledger_accounts.tenant_id = accounts.tenant_id
            and ledger_accounts.account_id = accounts.account_id
    left join month_nets
        on
            ledger_accounts.tenant_id = month_nets.tenant_id
            and ledger_accounts.account_id = month_nets.account_id
            and month_ends.month_start = month_nets.month_start
),

running as (
    select
        *,
        sum(month_net) over (
            partition by tenant_id, account_id
            order by month_start
            rows between unbounded preceding and current row
        ) as balance,
        sum(year_month_net) over (
            partition by tenant_id, account_id, year_start
            order by month_start
            rows between unbounded preceding and current row
        ) as year_to_date
    from grid
),

-- profit of earlier financial years, rolled into Retained Earnings (debit positive)
prior_profit as (
    select
        tenant_id,
        month_start,
        sum(balance - year_to_date) as prior_profit
    from running
    where is_profit_and_loss
    group by tenant_id, month_start
),

final as (
    select
        -- ids
        running.tenant_id,
        running.account_id,

        -- booleans
        running.is_profit_and_loss,

        -- numerics
        cast(running.month_net as decimal(18, 2)) as month_net,
        cast(
            case
                when running.is_profit_and_loss then running.year_to_date
                when running.is_retained_earnings
                    then running.balance + coalesce(prior_profit.prior_profit, 0)
                else running.balance
            end as decimal(18, 2)
        ) as ytd_balance,

        -- dates
        running.month_start,
        running.month_end as as_of_date,
        running.year_start

    from running
    left join prior_profit
        on
            running.tenant_id = prior_profit.tenant_id
            and running.month_start = prior_profit.month_start
)

select * from final

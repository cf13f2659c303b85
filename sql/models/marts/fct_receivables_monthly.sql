-- grain: one row per tenant_id, month_start, from the month of each
-- organisation's first sales invoice to the month of the as-of date (a month
-- then ends on the as-of date). All money is in the organisation's base
-- currency, each amount rounded to cents at its own rate (amount /
-- currency_rate):
--   cash_receipts_base: received from customers in the month: payments on sales
--     invoices (not deleted) plus RECEIVE-OVERPAYMENT and RECEIVE-PREPAYMENT
--     money, at their rates;
--   credit_sales_base: totals of AUTHORISED/PAID sales invoices dated in the
--     month;
--   ar_balance_base: owed by customers at the end of the month (point in time,
--     as in fct_ar_aging), at invoice rates;
--   dso (days sales outstanding) = ar_balance_base / credit_sales_base *
--     days_in_period, rounded to 0.1 day; null in a month without credit sales.

with recursive

invoices as (
    select * from {{ ref('stg_xero__invoices') }}
),

settlements as (
    select * from {{ ref('int_invoice_settlements_unioned') }}
),

payments as (
    select * from {{ ref('stg_xero__payments') }}
),

overpayments as (
    select * from {{ ref('stg_xero__overpayments') }}
),

prepayments as (
    select * from {{ ref('stg_xero__prepayments') }}
),

organisations as (
    select * from {{ ref('stg_xero__organisations') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

sales_invoices as (
    select invoices.*
    from invoices
    cross join as_of
    where
        invoices.invoice_type = 'ACCREC'
        and invoices.is_posted
        and invoices.invoice_date <= as_of.as_of_date
),

months_spined as (
    select
        tenant_id,
        min(cast(date_trunc('month', invoice_date) as date)) as month_start
    from sales_invoices
    group by tenant_id
    union all
    select
        months_spined.tenant_id,
        cast(months_spined.month_start + interval '1 month' as date)
        as month_start
    from months_spined
    cross join as_of
    where months_spined.month_start + interval '1 month' <= as_of.as_of_date
),

months_bounded as (
    select
        months_spined.tenant_id,
        months_spined.month_start,
        least(
            cast(months_spined.month_start + interval '1 month' as date) - 1,
            as_of.as_of_date
        ) as period_end
    from months_spined
    cross join as_of
),

settlements_summed_to_invoices as (
    select
        tenant_id,
        invoice_id,
        sum(amount) as amount
    from settlements
    group by tenant_id, invoice_id
),

-- each invoice raises the balance by what it was for before any settlement
-- (AmountDue + every settlement that counts) and each settlement lowers it on
-- its date
receivable_movements_unioned as (
    select
        sales_invoices.tenant_id,
        sales_invoices.invoice_date as movement_date,
        round(
            cast(
                (
                    sales_invoices.amount_due
                    + coalesce(settlements_summed_to_invoices.amount, 0)
                ) / sales_invoices.currency_rate as decimal(38, 6)
            ),
            2
        ) as amount_base
    from sales_invoices
    left join settlements_summed_to_invoices
        on
            sales_invoices.tenant_id = settlements_summed_to_invoices.tenant_id
            and sales_invoices.invoice_id
            = settlements_summed_to_invoices.invoice_id
    union all
    select
        sales_invoices.tenant_id,
        settlements.settlement_date as movement_date,
        -round(
            cast(
                settlements.amount / sales_invoices.currency_rate
                as decimal(38, 6)
            ),
            2
        ) as amount_base
    from settlements
    inner join sales_invoices
        on
            settlements.tenant_id = sales_invoices.tenant_id
            and settlements.invoice_id = sales_invoices.invoice_id
),

receipts_unioned as (
    select
        tenant_id,
        payment_date as receipt_date,
        round(cast(amount / currency_rate as decimal(38, 6)), 2) as amount_base
    from payments
    where
        not is_deleted
        and coalesce(
            payment_type = 'ACCRECPAYMENT', invoice_type = 'ACCREC', false
        )
    union all
    select
        tenant_id,
        overpayment_date as receipt_date,
        round(cast(total / currency_rate as decimal(38, 6)), 2) as amount_base
    from overpayments
    where overpayment_type = 'RECEIVE-OVERPAYMENT' and is_posted
    union all
    select
        tenant_id,
        prepayment_date as receipt_date,
        round(cast(total / currency_rate as decimal(38, 6)), 2) as amount_base
    from prepayments
    where prepayment_type = 'RECEIVE-PREPAYMENT' and is_posted
),

receipts_summed_to_months as (
    select
        months_bounded.tenant_id,
        months_bounded.month_start,
        sum(receipts_unioned.amount_base) as cash_receipts_base,
        count(*) as receipts_count
    from months_bounded
    inner join receipts_unioned
        on
            months_bounded.tenant_id = receipts_unioned.tenant_id
            and receipts_unioned.receipt_date
            between months_bounded.month_start and months_bounded.period_end
    group by months_bounded.tenant_id, months_bounded.month_start
),

sales_summed_to_months as (
    select
        months_bounded.tenant_id,
        months_bounded.month_start,
        sum(
            round(
                cast(
                    sales_invoices.total / sales_invoices.currency_rate
                    as decimal(38, 6)
                ),
                2
            )
        ) as credit_sales_base,
        count(*) as sales_invoices_count
    from months_bounded
    inner join sales_invoices
        on
            months_bounded.tenant_id = sales_invoices.tenant_id
            and sales_invoices.invoice_date
            between months_bounded.month_start and months_bounded.period_end
    group by months_bounded.tenant_id, months_bounded.month_start
),

balances_summed_to_month_ends as (
    select
        months_bounded.tenant_id,
        months_bounded.month_start,
        sum(receivable_movements_unioned.amount_base) as ar_balance_base
    from months_bounded
    inner join receivable_movements_unioned
        on
            months_bounded.tenant_id = receivable_movements_unioned.tenant_id
            and receivable_movements_unioned.movement_date
            <= months_bounded.period_end
    group by months_bounded.tenant_id, months_bounded.month_start
),

final as (
    select
        months_bounded.tenant_id,
        months_bounded.month_start,
        months_bounded.period_end,
        organisations.base_currency,
        months_bounded.period_end - months_bounded.month_start + 1
        as days_in_period,
        coalesce(receipts_summed_to_months.cash_receipts_base, 0)
        as cash_receipts_base,
        coalesce(receipts_summed_to_months.receipts_count, 0) as receipts_count,
        coalesce(sales_summed_to_months.credit_sales_base, 0)
        as credit_sales_base,
        coalesce(sales_summed_to_months.sales_invoices_count, 0)
        as sales_invoices_count,
        coalesce(balances_summed_to_month_ends.ar_balance_base, 0)
        as ar_balance_base,
        round(
            cast(
                balances_summed_to_month_ends.ar_balance_base
                / nullif(sales_summed_to_months.credit_sales_base, 0)
                * (months_bounded.period_end - months_bounded.month_start + 1)
                as decimal(38, 6)
            ),
            1
        ) as dso
    from months_bounded
    left join receipts_summed_to_months
        on
            months_bounded.tenant_id = receipts_summed_to_months.tenant_id
            and months_bounded.month_start
            = receipts_summed_to_months.month_start
    left join sales_summed_to_months
        on
            months_bounded.tenant_id = sales_summed_to_months.tenant_id
            and months_bounded.month_start = sales_summed_to_months.month_start
    left join balances_summed_to_month_ends
        on
            months_bounded.tenant_id = balances_summed_to_month_ends.tenant_id
            and months_bounded.month_start
            = balances_summed_to_month_ends.month_start
    left join organisations
        on months_bounded.tenant_id = organisations.tenant_id
)

select * from final

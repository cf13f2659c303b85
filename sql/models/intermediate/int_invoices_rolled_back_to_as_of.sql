-- grain: one row per tenant_id, invoice_id: every AUTHORISED or PAID invoice
-- dated on or before the as-of date, with what was still owed on it that day.
--
-- Point in time: amount_due = Xero's AmountDue + the settlements dated after
-- the as-of date (payments and credit note, overpayment and prepayment
-- allocations that still count). As of today it equals AmountDue; a PAID
-- invoice settled later reopens in the past. A settlement dated after the as-of
-- date is not yet made, even if dated in the future. Invoices dated after the
-- as-of date, drafts and voided ones are left out.
--
-- Base currency: Xero's CurrencyRate is units of the invoice currency per one
-- unit of the organisation's base currency (1 for base-currency invoices), so
-- amount_base = round(amount / currency_rate, 2), rounded per invoice.

with

invoices as (
    select * from {{ ref('stg_xero__invoices') }}
),

settlements as (
    select * from {{ ref('int_invoice_settlements_unioned') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

settlements_after_as_of_summed as (
    select
        settlements.tenant_id,
        settlements.invoice_id,
        sum(settlements.amount) as amount_settled_after
    from settlements
    cross join as_of
    where settlements.settlement_date > as_of.as_of_date
    group by settlements.tenant_id, settlements.invoice_id
),

invoices_rolled_back as (
    select
        invoices.tenant_id,
        invoices.invoice_id,
        invoices.invoice_number,
        invoices.invoice_type,
        invoices.invoice_status,
        invoices.contact_id,
        invoices.contact_name,
        invoices.currency_code,
        invoices.currency_rate,
        invoices.invoice_date,
        invoices.due_date,
        as_of.as_of_date,
        invoices.total,
        invoices.amount_due
        + coalesce(settlements_after_as_of_summed.amount_settled_after, 0)
        as amount_due
    from invoices
    cross join as_of
    left join settlements_after_as_of_summed
        on
            invoices.tenant_id = settlements_after_as_of_summed.tenant_id
            and invoices.invoice_id = settlements_after_as_of_summed.invoice_id
    where
        invoices.is_posted
        and invoices.invoice_date <= as_of.as_of_date
),

invoices_aged as (
    select
        *,
        as_of_date - coalesce(due_date, invoice_date) as days_overdue
    from invoices_rolled_back
),

final as (
    select
        tenant_id,
        invoice_id,
        invoice_number,
        invoice_type,
        invoice_status,
        contact_id,
        contact_name,
        currency_code,
        currency_rate,
        invoice_date,
        due_date,
        as_of_date,
        days_overdue,
        case
            when days_overdue <= 0 then 'current'
            when days_overdue <= 30 then '1_30'
            when days_overdue <= 60 then '31_60'
            when days_overdue <= 90 then '61_90'
            else 'over_90'
        end as aging_bucket,
        total,
        amount_due,
        round(cast(amount_due / currency_rate as decimal(38, 6)), 2)
        as amount_due_base
    from invoices_aged
)

select * from final

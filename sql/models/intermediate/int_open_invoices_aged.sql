-- grain: one row per tenant_id, invoice_id, as_of_date: each invoice, sales
-- (ACCREC) or bill (ACCPAY), with money still owed on the as-of date (see
-- int_invoices_rolled_back_to_as_of), named after its contact and carrying the
-- organisation's base currency. Buckets by days past the due date: current (not
-- yet due), 1_30, 31_60, 61_90, over_90. amount_due is in the invoice currency;
-- amount_due_base in the organisation's base currency.

with

invoices as (
    select * from {{ ref('int_invoices_rolled_back_to_as_of') }}
),

contacts as (
    select * from {{ ref('stg_xero__contacts') }}
),

organisations as (
    select * from {{ ref('stg_xero__organisations') }}
),

final as (
    select
        invoices.tenant_id,
        invoices.invoice_id,
        invoices.invoice_number,
        invoices.invoice_type,
        invoices.invoice_status,
        invoices.contact_id,
        coalesce(contacts.contact_name, invoices.contact_name) as contact_name,
        invoices.currency_code,
        invoices.currency_rate,
        invoices.invoice_date,
        invoices.due_date,
        invoices.as_of_date,
        invoices.days_overdue,
        invoices.aging_bucket,
        invoices.total,
        invoices.amount_due,
        invoices.amount_due_base,
        organisations.base_currency
    from invoices
    left join contacts
        on
            invoices.tenant_id = contacts.tenant_id
            and invoices.contact_id = contacts.contact_id
    left join organisations
        on invoices.tenant_id = organisations.tenant_id
    where invoices.amount_due > 0
)

select * from final

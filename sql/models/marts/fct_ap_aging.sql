-- grain: one row per tenant_id, invoice_id, as_of_date: each bill (ACCPAY) with
-- money still owed on the as-of date (see int_invoices_rolled_back_to_as_of).
-- Buckets by days past the due date: current (not yet due), 1_30, 31_60, 61_90,
-- over_90. amount_due is in the invoice currency; amount_due_base in the
-- organisation's base currency.

with

open_invoices as (
    select * from {{ ref('int_open_invoices_aged') }}
),

final as (
    select
        tenant_id,
        invoice_id,
        invoice_number,
        invoice_status,
        contact_id,
        contact_name,
        currency_code,
        currency_rate,
        invoice_date,
        due_date,
        as_of_date,
        days_overdue,
        aging_bucket,
        total,
        amount_due,
        amount_due_base,
        base_currency
    from open_invoices
    where invoice_type = 'ACCPAY'
)

select * from final

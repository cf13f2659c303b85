-- grain: one row per tenant_id, bill_id: each bill (Xero invoice of type
-- ACCPAY), in every status (drafts, voided and deleted ones included: filter
-- on bill_status), amounts in the bill currency and total_base in the base
-- currency at the bill's own rate.

with

invoices as (
    select * from {{ ref('stg_xero__invoices') }}
),

final as (
    select
        tenant_id,
        invoice_id as bill_id,
        invoice_number as bill_number,
        reference,
        contact_id as supplier_id,
        contact_name as supplier_name,
        invoice_status as bill_status,
        is_posted,
        currency_code,
        currency_rate,
        invoice_date as bill_date,
        due_date,
        fully_paid_on_date,
        sub_total,
        total_tax,
        total,
        amount_paid,
        amount_credited,
        amount_due,
        round(cast(total / currency_rate as decimal(38, 6)), 2) as total_base,
        updated_at
    from invoices
    where invoice_type = 'ACCPAY'
)

select * from final

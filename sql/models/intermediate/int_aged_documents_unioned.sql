-- grain: one row per tenant_id, document_id: every invoice, credit note and
-- overpayment, the kinds of document Xero's aged receivables and payables show
-- (prepayments are not), with its total in its own currency (positive). Only
-- the posted ones (AUTHORISED or PAID) can be open; the others are kept for
-- the tie-out, which asks when a document last changed.

with

invoices as (
    select * from {{ ref('stg_xero__invoices') }}
),

credit_notes as (
    select * from {{ ref('stg_xero__credit_notes') }}
),

overpayments as (
    select * from {{ ref('stg_xero__overpayments') }}
),

invoices_kept as (
    select
        tenant_id,
        ledger,
        'invoice' as document_type,
        invoice_id as document_id,
        invoice_number as document_number,
        contact_id,
        contact_name,
        currency_code,
        currency_rate,
        invoice_date as document_date,
        due_date,
        total,
        is_posted,
        updated_at
    from invoices
    where ledger is not null
),

credit_notes_kept as (
    select
        tenant_id,
        ledger,
        'credit_note' as document_type,
        credit_note_id as document_id,
        credit_note_number as document_number,
        contact_id,
        contact_name,
        currency_code,
        currency_rate,
        credit_note_date as document_date,
        -- credit notes have no due date in the aged reports: they age by date
        cast(null as date) as due_date,
        total,
        is_posted,
        updated_at
    from credit_notes
    where ledger is not null
),

overpayments_kept as (
    select
        tenant_id,
        ledger,
        'overpayment' as document_type,
        overpayment_id as document_id,
        cast(null as varchar) as document_number,
        contact_id,
        contact_name,
        currency_code,
        currency_rate,
        overpayment_date as document_date,
        cast(null as date) as due_date,
        total,
        is_posted,
        updated_at
    from overpayments
    where ledger is not null
),

final as (
    select * from invoices_kept
    union all
    select * from credit_notes_kept
    union all
    select * from overpayments_kept
)

select * from final

-- grain: one row per tenant_id, source_id (the contact of each document a journal can come
-- from: invoices, credit notes, payments, bank transactions, overpayments, prepayments)

with

invoices as (
    select * from {{ ref('stg_xero__invoices') }}
),

credit_notes as (
    select * from {{ ref('stg_xero__credit_notes') }}
),

payments as (
    select * from {{ ref('stg_xero__payments') }}
),

bank_transactions as (
    select * from {{ ref('stg_xero__bank_transactions') }}
),

overpayments as (
    select * from {{ ref('stg_xero__overpayments') }}
),

prepayments as (
    select * from {{ ref('stg_xero__prepayments') }}
),

payment_contacts as (
    select
        payments.tenant_id,
        payments.payment_id as source_id,
        coalesce(
            payments.contact_id,
            credit_notes.contact_id,
            overpayments.contact_id,
            prepayments.contact_id
        ) as contact_id
    from payments
    left join credit_notes
        on
            payments.tenant_id = credit_notes.tenant_id
            and payments.credit_note_id = credit_notes.credit_note_id
    left join overpayments
        on
            payments.tenant_id = overpayments.tenant_id
            and payments.overpayment_id = overpayments.overpayment_id
    left join prepayments
        on
            payments.tenant_id = prepayments.tenant_id
            and payments.prepayment_id = prepayments.prepayment_id
),

documents as (
    select tenant_id, invoice_id as source_id, contact_id from invoices
    union all
    select tenant_id, credit_note_id as source_id, contact_id from credit_notes
    union all
    select tenant_id, bank_transaction_id as source_id, contact_id from bank_transactions
    union all
    select tenant_id, overpayment_id as source_id, contact_id from overpayments
    union all
    select tenant_id, prepayment_id as source_id, contact_id from prepayments
    union all
    select tenant_id, source_id, contact_id from payment_contacts
),

-- one contact per source id, so a ledger line is never repeated
final as (
    select
        tenant_id,
        source_id,
        min(contact_id) as contact_id
    from documents
    where source_id is not null
    group by tenant_id, source_id
)

select * from final

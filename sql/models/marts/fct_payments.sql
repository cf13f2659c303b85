-- grain: one row per tenant_id, payment_id: every payment Xero holds, DELETED
-- ones included and flagged (is_deleted), with its invoice or credit note,
-- contact and bank account. amount is in the document currency; amount_base =
-- round(amount / currency_rate, 2) at the payment's own rate; bank_amount is in
-- the bank account's currency. days_paid_late: days past the due date, 0 when
-- paid on time.

with

payments as (
    select * from {{ ref('stg_xero__payments') }}
),

invoices as (
    select * from {{ ref('stg_xero__invoices') }}
),

credit_notes as (
    select * from {{ ref('stg_xero__credit_notes') }}
),

contacts as (
    select * from {{ ref('stg_xero__contacts') }}
),

accounts as (
    select * from {{ ref('stg_xero__accounts') }}
),

organisations as (
    select * from {{ ref('stg_xero__organisations') }}
),

payments_joined as (
    select
        payments.*,
        coalesce(invoices.invoice_number, payments.invoice_number)
        as document_invoice_number,
        coalesce(invoices.invoice_type, payments.invoice_type)
        as document_invoice_type,
        coalesce(
            invoices.contact_id, credit_notes.contact_id, payments.contact_id
        ) as document_contact_id,
        coalesce(invoices.contact_name, credit_notes.contact_name)
        as document_contact_name,
        coalesce(
            invoices.currency_code,
            credit_notes.currency_code,
            payments.invoice_currency_code
        ) as currency_code,
        invoices.invoice_date,
        invoices.due_date,
        accounts.account_name as bank_account_name,
        accounts.currency_code as bank_currency_code
    from payments
    left join invoices
        on
            payments.tenant_id = invoices.tenant_id
            and payments.invoice_id = invoices.invoice_id
    left join credit_notes
        on
            payments.tenant_id = credit_notes.tenant_id
            and payments.credit_note_id = credit_notes.credit_note_id
    left join accounts
        on
            payments.tenant_id = accounts.tenant_id
            and payments.bank_account_id = accounts.account_id
),

final as (
    select
        payments_joined.tenant_id,
        payments_joined.payment_id,
        payments_joined.payment_type,
        payments_joined.payment_status,
        payments_joined.is_deleted,
        payments_joined.is_reconciled,
        payments_joined.payment_date,
        payments_joined.reference,
        payments_joined.invoice_id,
        payments_joined.document_invoice_number as invoice_number,
        payments_joined.document_invoice_type as invoice_type,
        payments_joined.credit_note_id,
        payments_joined.credit_note_number,
        payments_joined.document_contact_id as contact_id,
        coalesce(contacts.contact_name, payments_joined.document_contact_name)
        as contact_name,
        payments_joined.bank_account_id,
        payments_joined.bank_account_code,
        payments_joined.bank_account_name,
        payments_joined.currency_code,
        payments_joined.currency_rate,
        payments_joined.amount,
        round(
            cast(
                payments_joined.amount / payments_joined.currency_rate
                as decimal(38, 6)
            ),
            2
        ) as amount_base,
        organisations.base_currency,
        payments_joined.bank_currency_code,
        payments_joined.bank_amount,
        payments_joined.invoice_date,
        payments_joined.due_date,
        payments_joined.payment_date - payments_joined.invoice_date
        as days_invoice_to_payment,
        greatest(payments_joined.payment_date - payments_joined.due_date, 0)
        as days_paid_late
    from payments_joined
    left join contacts
        on
            payments_joined.tenant_id = contacts.tenant_id
            and payments_joined.document_contact_id = contacts.contact_id
    left join organisations
        on payments_joined.tenant_id = organisations.tenant_id
)

select * from final

-- grain: one row per tenant_id, document_id: each invoice, credit note and
-- overpayment open on the as-of date (see int_aged_documents_open_on_dates),
-- aged as Xero's aged reports do it (macros/aging_period.sql: vars
-- aging_basis and aging_periods), named after its contact and carrying the
-- organisation's base currency.

with

documents as (
    select * from {{ ref('int_aged_documents_open_on_dates') }}
),

contacts as (
    select * from {{ ref('stg_xero__contacts') }}
),

organisations as (
    select * from {{ ref('stg_xero__organisations') }}
),

documents_on_as_of as (
    select
        *,
        {{ aging_basis_date('document_type', 'document_date', 'due_date') }}
        as aging_date
    from documents
    where is_as_of
),

final as (
    select
        documents_on_as_of.tenant_id,
        documents_on_as_of.as_of_date,
        documents_on_as_of.ledger,
        documents_on_as_of.contact_id,
        coalesce(contacts.contact_name, documents_on_as_of.contact_name)
        as contact_name,
        documents_on_as_of.document_id,
        documents_on_as_of.document_type,
        documents_on_as_of.document_number,
        documents_on_as_of.document_date,
        documents_on_as_of.due_date,
        documents_on_as_of.currency_code,
        documents_on_as_of.currency_rate,
        organisations.base_currency,
        documents_on_as_of.total,
        documents_on_as_of.paid,
        documents_on_as_of.credited,
        documents_on_as_of.due,
        documents_on_as_of.due_base,
        '{{ aging_basis() }}' as aging_basis,
        documents_on_as_of.as_of_date - documents_on_as_of.aging_date as days_past,
        {{ aging_period('documents_on_as_of.aging_date', 'documents_on_as_of.as_of_date') }}
        as aging_period
    from documents_on_as_of
    left join contacts
        on
            documents_on_as_of.tenant_id = contacts.tenant_id
            and documents_on_as_of.contact_id = contacts.contact_id
    left join organisations
        on documents_on_as_of.tenant_id = organisations.tenant_id
)

select * from final

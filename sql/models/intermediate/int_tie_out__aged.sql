-- grain: one row per tenant_id, check_name, period_end, subject_id: for each
-- contact sampled in a Xero Aged Receivables / Payables By Contact snapshot,
-- what the warehouse says the contact owed at the end of the snapshot's report
-- date (int_aged_documents_open_on_dates, as at that date whatever the as-of
-- date) against the report's closing balance (`due`, document currencies
-- summed as Xero sums them).
--
-- status: tied (equal to the cent); explained (they differ, and every document
-- that differs was changed in Xero after the snapshot was loaded, a payment or
-- an allocation changing its document too: the snapshot saw the books before a
-- back-dated change); broken (anything else; the explanation counts the
-- documents that differ).

with

report_lines as (
    select * from {{ ref('stg_xero__report_aged_by_contact') }}
),

documents_open as (
    select * from {{ ref('int_aged_documents_open_on_dates') }}
),

documents as (
    select * from {{ ref('int_aged_documents_unioned') }}
),

contacts as (
    select * from {{ ref('stg_xero__contacts') }}
),

closing_lines as (
    select
        tenant_id,
        ledger,
        report_date,
        contact_id,
        max(line) as line,
        max(loaded_at) as loaded_at
    from report_lines
    group by tenant_id, ledger, report_date, contact_id
),

snapshots as (
    select
        report_lines.tenant_id,
        report_lines.ledger,
        report_lines.report_date,
        report_lines.contact_id,
        closing_lines.loaded_at,
        coalesce(report_lines.due, 0) as xero_value
    from report_lines
    inner join closing_lines
        on
            report_lines.tenant_id = closing_lines.tenant_id
            and report_lines.ledger = closing_lines.ledger
            and report_lines.report_date = closing_lines.report_date
            and report_lines.contact_id = closing_lines.contact_id
            and report_lines.line = closing_lines.line
),

warehouse_documents as (
    select
        documents_open.tenant_id,
        documents_open.ledger,
        documents_open.as_of_date as report_date,
        documents_open.contact_id,
        documents_open.document_id,
        documents_open.due
    from documents_open
    inner join snapshots
        on
            documents_open.tenant_id = snapshots.tenant_id
            and documents_open.ledger = snapshots.ledger
            and documents_open.as_of_date = snapshots.report_date
            and documents_open.contact_id = snapshots.contact_id
),

xero_documents as (
    select
        tenant_id,
        ledger,
        report_date,
        contact_id,
        document_id,
        due
    from report_lines
    where is_document
),

documents_compared as (
    select
        coalesce(warehouse_documents.tenant_id, xero_documents.tenant_id)
        as tenant_id,
        coalesce(warehouse_documents.ledger, xero_documents.ledger) as ledger,
        coalesce(warehouse_documents.report_date, xero_documents.report_date)
        as report_date,
        coalesce(warehouse_documents.contact_id, xero_documents.contact_id)
        as contact_id,
        coalesce(warehouse_documents.document_id, xero_documents.document_id)
        as document_id
    from warehouse_documents
    full outer join xero_documents
        on
            warehouse_documents.tenant_id = xero_documents.tenant_id
            and warehouse_documents.ledger = xero_documents.ledger
            and warehouse_documents.report_date = xero_documents.report_date
            and warehouse_documents.document_id = xero_documents.document_id
    where
        coalesce(warehouse_documents.due, 0) <> coalesce(xero_documents.due, 0)
),

differences_dated as (
    select
        documents_compared.tenant_id,
        documents_compared.ledger,
        documents_compared.report_date,
        documents_compared.contact_id,
        count(*) as documents_differing,
        sum(
            case
                when documents.updated_at > snapshots.loaded_at then 0
                else 1
            end
        ) as documents_unexplained
    from documents_compared
    inner join snapshots
        on
            documents_compared.tenant_id = snapshots.tenant_id
            and documents_compared.ledger = snapshots.ledger
            and documents_compared.report_date = snapshots.report_date
            and documents_compared.contact_id = snapshots.contact_id
    left join documents
        on
            documents_compared.tenant_id = documents.tenant_id
            and documents_compared.document_id = documents.document_id
    group by
        documents_compared.tenant_id,
        documents_compared.ledger,
        documents_compared.report_date,
        documents_compared.contact_id
),

warehouse_totals as (
    select
        tenant_id,
        ledger,
        report_date,
        contact_id,
        sum(due) as warehouse_value
    from warehouse_documents
    group by tenant_id, ledger, report_date, contact_id
),

compared as (
    select
        snapshots.tenant_id,
        snapshots.ledger,
        snapshots.report_date,
        snapshots.contact_id,
        contacts.contact_name,
        cast(coalesce(warehouse_totals.warehouse_value, 0) as decimal(18, 2))
        as warehouse_value,
        cast(snapshots.xero_value as decimal(18, 2)) as xero_value,
        coalesce(differences_dated.documents_differing, 0) as documents_differing,
        coalesce(differences_dated.documents_unexplained, 0)
        as documents_unexplained
    from snapshots
    left join warehouse_totals
        on
            snapshots.tenant_id = warehouse_totals.tenant_id
            and snapshots.ledger = warehouse_totals.ledger
            and snapshots.report_date = warehouse_totals.report_date
            and snapshots.contact_id = warehouse_totals.contact_id
    left join differences_dated
        on
            snapshots.tenant_id = differences_dated.tenant_id
            and snapshots.ledger = differences_dated.ledger
            and snapshots.report_date = differences_dated.report_date
            and snapshots.contact_id = differences_dated.contact_id
    left join contacts
        on
            snapshots.tenant_id = contacts.tenant_id
            and snapshots.contact_id = contacts.contact_id
),

final as (
    select
        cast(tenant_id as text) as tenant_id,
        cast(
            case ledger
                when 'receivable' then 'aged_receivables'
                else 'aged_payables'
            end as text
        ) as check_name,
        cast(null as date) as period_start,
        report_date as period_end,
        cast(contact_id as text) as subject_id,
        cast(contact_name as text) as subject_name,
        cast('due' as text) as measure,
        warehouse_value,
        xero_value,
        cast(warehouse_value - xero_value as decimal(18, 2)) as difference,
        cast(
            case
                when warehouse_value = xero_value then 'tied'
                when documents_differing > 0 and documents_unexplained = 0
                    then 'explained'
                else 'broken'
            end as text
        ) as status,
        cast(
            case
                when warehouse_value = xero_value then null
                when documents_differing > 0 and documents_unexplained = 0
                    then
                        'the documents that differ changed in Xero after '
                        || 'the snapshot was taken'
                else
                    cast(documents_differing as varchar)
                    || ' document(s) differ from Xero''s report'
            end as text
        ) as explanation
    from compared
)

select * from final

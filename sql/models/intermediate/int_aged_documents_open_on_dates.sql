-- grain: one row per tenant_id, as_of_date, document_id: each document open at
-- the end of a date, with what was paid, credited and still due on it that
-- day. The dates: the as-of date (every contact), and each date of a Xero aged
-- report snapshot (only the contacts sampled that day), so the snapshots can
-- be tied out whatever the as-of date.
--
-- As at a date (Xero's rule): AUTHORISED or PAID documents (DRAFT, SUBMITTED,
-- VOIDED and DELETED ones never show) dated on or before it; payments and
-- allocations dated on or before it count, later ones do not (a PAID document
-- settled later is open in the past). Amounts are in the document currency,
-- credits (credit notes, overpayments) negative. Base currency: Xero's
-- CurrencyRate is units of the document currency per one unit of the base
-- currency, so due_base = round(due / currency_rate, 2), at the document's own
-- rate (no revaluation).

with

documents as (
    select * from {{ ref('int_aged_documents_unioned') }}
    where is_posted
),

settlements as (
    select * from {{ ref('int_aged_document_settlements_unioned') }}
),

report_lines as (
    select * from {{ ref('stg_xero__report_aged_by_contact') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

documents_on_as_of as (
    select
        documents.*,
        as_of.as_of_date,
        true as is_as_of
    from documents
    cross join as_of
),

snapshot_contacts as (
    select distinct
        report_lines.tenant_id,
        report_lines.ledger,
        report_lines.contact_id,
        report_lines.report_date
    from report_lines
    cross join as_of
    where report_lines.report_date <> as_of.as_of_date
),

documents_on_snapshot_dates as (
    select
        documents.*,
        snapshot_contacts.report_date as as_of_date,
        false as is_as_of
    from documents
    inner join snapshot_contacts
        on
            documents.tenant_id = snapshot_contacts.tenant_id
            and documents.ledger = snapshot_contacts.ledger
            and documents.contact_id = snapshot_contacts.contact_id
),

documents_on_dates as (
    select * from documents_on_as_of
    union all
    select * from documents_on_snapshot_dates
),

settled_on_dates as (
    select
        documents_on_dates.tenant_id,
        documents_on_dates.document_id,
        documents_on_dates.as_of_date,
        sum(settlements.paid) as paid,
        sum(settlements.credited) as credited
    from documents_on_dates
    inner join settlements
        on
            documents_on_dates.tenant_id = settlements.tenant_id
            and documents_on_dates.document_id = settlements.document_id
            and settlements.settlement_date <= documents_on_dates.as_of_date
    group by
        documents_on_dates.tenant_id,
        documents_on_dates.document_id,
        documents_on_dates.as_of_date
),

documents_settled as (
    select
        documents_on_dates.*,
        case
            when documents_on_dates.document_type = 'invoice' then 1 else -1
        end as sign,
        coalesce(settled_on_dates.paid, 0) as paid,
        coalesce(settled_on_dates.credited, 0) as credited
    from documents_on_dates
    left join settled_on_dates
        on
            documents_on_dates.tenant_id = settled_on_dates.tenant_id
            and documents_on_dates.document_id = settled_on_dates.document_id
            and documents_on_dates.as_of_date = settled_on_dates.as_of_date
    where documents_on_dates.document_date <= documents_on_dates.as_of_date
),

final as (
    select
        tenant_id,
        as_of_date,
        is_as_of,
        ledger,
        document_type,
        document_id,
        document_number,
        contact_id,
        contact_name,
        currency_code,
        currency_rate,
        document_date,
        due_date,
        sign * total as total,
        sign * paid as paid,
        sign * credited as credited,
        sign * (total - paid - credited) as due,
        round(
            cast(sign * (total - paid - credited) / currency_rate as decimal(38, 6)),
            2
        ) as due_base,
        updated_at
    from documents_settled
    where total - paid - credited <> 0
)

select * from final

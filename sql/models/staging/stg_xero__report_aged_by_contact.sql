-- grain: one row per tenant_id, ledger, report_date, contact_id, line: each
-- line of Xero's Aged Receivables / Aged Payables By Contact report as synced
-- (opening balance, one row per open document, total, closing balance)

with

receivables as (
    select * from {{ xero_source('report_aged_receivables_by_contact') }}
),

payables as (
    select * from {{ xero_source('report_aged_payables_by_contact') }}
),

lines_unioned as (
    select 'receivable' as ledger, * from receivables
    union all
    select 'payable' as ledger, * from payables
),

final as (
    select
        -- ids
        tenant_id,
        ledger,
        contact_id,
        document_id,

        -- strings
        section,
        row_type,
        label,
        status,

        -- numerics
        line,
        total,
        paid,
        credited,
        due,

        -- booleans
        coalesce(row_type = 'Row' and document_id is not null, false)
        as is_document,

        -- dates
        report_date,
        document_date,
        due_date,

        -- timestamps
        -- when the snapshot was loaded: dlt's load id is its start in epoch seconds
        to_timestamp(cast(_dlt_load_id as decimal(20, 6))) as loaded_at

    from lines_unioned
)

select * from final

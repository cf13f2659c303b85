-- grain: one row per allocation of a credit note to an invoice
-- (tenant_id, credit_note_id, allocation row)

with

allocations as (
    select * from {{ xero_source('credit_notes__allocations') }}
),

credit_notes as (
    select * from {{ xero_source('credit_notes') }}
),

final as (
    select
        -- ids
        credit_notes.tenant_id,
        credit_notes.credit_note_id,
        allocations.allocation_id,
        allocations.invoice__invoice_id as invoice_id,

        -- strings
        allocations.invoice__invoice_number as invoice_number,

        -- numerics
        allocations.amount,

        -- booleans
        -- a removed allocation no longer settles its invoice
        coalesce(allocations.is_deleted, false) as is_deleted,

        -- dates
        allocations.date as allocation_date

    from allocations
    inner join credit_notes
        on allocations._dlt_parent_id = credit_notes._dlt_id
    where credit_notes._deleted_at is null
)

select * from final

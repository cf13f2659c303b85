-- grain: one row per allocation of a prepayment to an invoice
-- (tenant_id, prepayment_id, allocation row)

with

allocations as (
    select * from {{ xero_source('prepayments__allocations') }}
),

prepayments as (
    select * from {{ xero_source('prepayments') }}
),

final as (
    select
        -- ids
        prepayments.tenant_id,
        prepayments.prepayment_id,
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
    inner join prepayments
        on allocations._dlt_parent_id = prepayments._dlt_id
    where prepayments._deleted_at is null
)

select * from final

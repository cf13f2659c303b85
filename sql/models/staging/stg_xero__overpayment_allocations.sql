-- grain: one row per allocation of a overpayment to an invoice
-- (tenant_id, overpayment_id, allocation row)

with

allocations as (
    select * from {{ xero_source('overpayments__allocations') }}
),

overpayments as (
    select * from {{ xero_source('overpayments') }}
),

final as (
    select
        -- ids
        overpayments.tenant_id,
        overpayments.overpayment_id,
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
    inner join overpayments
        on allocations._dlt_parent_id = overpayments._dlt_id
    where overpayments._deleted_at is null
)

select * from final

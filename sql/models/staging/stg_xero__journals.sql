-- grain: one row per tenant_id, journal_id (Xero's append-only general ledger
-- journals)

with

journals as (
    select * from {{ xero_source('journals') }}
),

final as (
    select
        -- ids
        tenant_id,
        journal_id,
        source_id,

        -- strings
        source_type,
        reference,

        -- numerics
        journal_number,

        -- dates
        journal_date,

        -- timestamps
        created_date_utc as created_at

    from journals
    where _deleted_at is null
)

select * from final

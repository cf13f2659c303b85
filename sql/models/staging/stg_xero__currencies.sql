-- grain: one row per tenant_id, currency_code (the currencies enabled in the
-- organisation)

with

currencies as (
    select * from {{ xero_source('currencies') }}
),

final as (
    select
        -- ids
        tenant_id,

        -- strings
        code as currency_code,
        description as currency_name

    from currencies
    where _deleted_at is null
)

select * from final

-- grain: one row per tenant_id, contact_id

with

contacts as (
    select * from {{ xero_source('contacts') }}
),

final as (
    select
        -- ids
        tenant_id,
        contact_id,

        -- strings
        name as contact_name,
        contact_number,
        account_number,
        first_name,
        last_name,
        email_address,
        contact_status,
        tax_number,
        default_currency,

        -- booleans
        coalesce(is_customer, false) as is_customer,
        coalesce(is_supplier, false) as is_supplier,
        coalesce(contact_status = 'ARCHIVED', false) as is_archived,

        -- timestamps
        updated_date_utc as updated_at

    from contacts
    where _deleted_at is null
)

select * from final

-- grain: one row per tenant_id (the organisation behind each connected tenant)

with

organisations as (
    select * from {{ xero_source('organisations') }}
),

final as (
    select
        -- ids
        tenant_id,
        organisation_id,

        -- strings
        name as organisation_name,
        legal_name,
        short_code,
        base_currency,
        country_code,
        timezone,
        organisation_status,

        -- numerics
        financial_year_end_day,
        financial_year_end_month,

        -- booleans
        coalesce(is_demo_company, false) as is_demo_company,

        -- timestamps
        created_date_utc as created_at

    from organisations
    where _deleted_at is null
)

select * from final

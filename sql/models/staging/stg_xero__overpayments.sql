-- grain: one row per tenant_id, overpayment_id

with

overpayments as (
    select * from {{ xero_source('overpayments') }}
),

final as (
    select
        -- ids
        tenant_id,
        overpayment_id,
        contact__contact_id as contact_id,

        -- strings
        reference,
        type as overpayment_type,
        status as overpayment_status,
        contact__name as contact_name,
        currency_code,
        line_amount_types,
        case type
            when 'RECEIVE-OVERPAYMENT' then 'receivable'
            when 'SPEND-OVERPAYMENT' then 'payable'
        end as ledger,

        -- numerics
        coalesce(nullif(currency_rate, 0), 1) as currency_rate,
        sub_total,
        total_tax,
        total,
        remaining_credit,
        applied_amount,

        -- booleans
        coalesce(status in ('AUTHORISED', 'PAID'), false) as is_posted,

        -- dates
        date as overpayment_date,

        -- timestamps
        updated_date_utc as updated_at

    from overpayments
    where _deleted_at is null
)

select * from final

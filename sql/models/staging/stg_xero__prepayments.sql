-- grain: one row per tenant_id, prepayment_id

with

prepayments as (
    select * from {{ xero_source('prepayments') }}
),

final as (
    select
        -- ids
        tenant_id,
        prepayment_id,
        contact__contact_id as contact_id,

        -- strings
        reference,
        type as prepayment_type,
        status as prepayment_status,
        contact__name as contact_name,
        currency_code,
        line_amount_types,
        case type
            when 'RECEIVE-PREPAYMENT' then 'receivable'
            when 'SPEND-PREPAYMENT' then 'payable'
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
        date as prepayment_date,

        -- timestamps
        updated_date_utc as updated_at

    from prepayments
    where _deleted_at is null
)

select * from final

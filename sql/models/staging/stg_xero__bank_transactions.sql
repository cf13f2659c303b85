-- grain: one row per tenant_id, bank_transaction_id

with

bank_transactions as (
    select * from {{ xero_source('bank_transactions') }}
),

final as (
    select
        -- ids
        tenant_id,
        bank_transaction_id,
        contact__contact_id as contact_id,
        bank_account__account_id as bank_account_id,
        prepayment_id,
        overpayment_id,

        -- strings
        type as bank_transaction_type,
        status as bank_transaction_status,
        contact__name as contact_name,
        bank_account__code as bank_account_code,
        bank_account__name as bank_account_name,
        reference,
        currency_code,
        line_amount_types,
        case
            when type like 'RECEIVE%' then 'receive'
            when type like 'SPEND%' then 'spend'
        end as direction,

        -- numerics
        coalesce(nullif(currency_rate, 0), 1) as currency_rate,
        sub_total,
        total_tax,
        total,

        -- booleans
        coalesce(is_reconciled, false) as is_reconciled,
        coalesce(status = 'DELETED', false) as is_deleted,

        -- dates
        date as bank_transaction_date,

        -- timestamps
        updated_date_utc as updated_at

    from bank_transactions
    where _deleted_at is null
)

select * from final

-- grain: one row per tenant_id, payment_id (DELETED payments included, flagged)

with

payments as (
    select * from {{ xero_source('payments') }}
),

final as (
    select
        -- ids
        tenant_id,
        payment_id,
        batch_payment_id,
        invoice__invoice_id as invoice_id,
        credit_note__credit_note_id as credit_note_id,
        overpayment__overpayment_id as overpayment_id,
        prepayment__prepayment_id as prepayment_id,
        account__account_id as bank_account_id,
        invoice__contact__contact_id as contact_id,

        -- strings
        invoice__invoice_number as invoice_number,
        invoice__type as invoice_type,
        invoice__currency_code as invoice_currency_code,
        credit_note__credit_note_number as credit_note_number,
        account__code as bank_account_code,
        reference,
        status as payment_status,
        payment_type,

        -- numerics
        -- units of the payment currency per one unit of the base currency
        coalesce(nullif(currency_rate, 0), 1) as currency_rate,
        amount,
        bank_amount,

        -- booleans
        coalesce(is_reconciled, false) as is_reconciled,
        -- a deleted payment no longer settles its invoice
        coalesce(status = 'DELETED', false) as is_deleted,

        -- dates
        date as payment_date,

        -- timestamps
        updated_date_utc as updated_at

    from payments
    where _deleted_at is null
)

select * from final

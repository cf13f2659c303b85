-- grain: one row per tenant_id, invoice_id (sales and purchase invoices of
-- every status)

with

invoices as (
    select * from {{ xero_source('invoices') }}
),

final as (
    select
        -- ids
        tenant_id,
        invoice_id,
        contact__contact_id as contact_id,

        -- strings
        invoice_number,
        reference,
        type as invoice_type,
        status as invoice_status,
        contact__name as contact_name,
        currency_code,
        line_amount_types,
        case type
            when 'ACCREC' then 'receivable'
            when 'ACCPAY' then 'payable'
        end as ledger,

        -- numerics units of the invoice currency per one unit of the base
        -- currency (1 in base)
        coalesce(nullif(currency_rate, 0), 1) as currency_rate,
        sub_total,
        total_tax,
        total,
        amount_due,
        amount_paid,
        amount_credited,

        -- booleans
        coalesce(status in ('AUTHORISED', 'PAID'), false) as is_posted,

        -- dates
        date as invoice_date,
        due_date,
        expected_payment_date,
        fully_paid_on_date,

        -- timestamps
        updated_date_utc as updated_at

    from invoices
    -- rows gone from Xero (hard deleted) are kept in raw with _deleted_at set
    where _deleted_at is null
)

select * from final

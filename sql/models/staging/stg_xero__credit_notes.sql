-- grain: one row per tenant_id, credit_note_id

with

credit_notes as (
    select * from {{ xero_source('credit_notes') }}
),

final as (
    select
        -- ids
        tenant_id,
        credit_note_id,
        contact__contact_id as contact_id,

        -- strings
        credit_note_number,
        reference,
        type as credit_note_type,
        status as credit_note_status,
        contact__name as contact_name,
        currency_code,
        line_amount_types,
        case type
            when 'ACCRECCREDIT' then 'receivable'
            when 'ACCPAYCREDIT' then 'payable'
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
        date as credit_note_date,
        due_date,
        fully_paid_on_date,

        -- timestamps
        updated_date_utc as updated_at

    from credit_notes
    where _deleted_at is null
)

select * from final

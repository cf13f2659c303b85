-- grain: one row per tenant_id, vendor_credit_id: each credit note a supplier
-- gave (Xero credit note of type ACCPAYCREDIT), in every status (filter on
-- vendor_credit_status), amounts in the credit note currency and total_base in
-- the base currency at its own rate.

with

credit_notes as (
    select * from {{ ref('stg_xero__credit_notes') }}
),

final as (
    select
        tenant_id,
        credit_note_id as vendor_credit_id,
        credit_note_number as vendor_credit_number,
        reference,
        contact_id as supplier_id,
        contact_name as supplier_name,
        credit_note_status as vendor_credit_status,
        is_posted,
        currency_code,
        currency_rate,
        credit_note_date as vendor_credit_date,
        fully_paid_on_date,
        sub_total,
        total_tax,
        total,
        applied_amount,
        remaining_credit,
        round(cast(total / currency_rate as decimal(38, 6)), 2) as total_base,
        updated_at
    from credit_notes
    where credit_note_type = 'ACCPAYCREDIT'
)

select * from final

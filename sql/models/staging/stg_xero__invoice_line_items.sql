-- grain: one row per invoice line item (tenant_id, invoice_id, line_item_id)

with

line_items as (
    select * from {{ xero_source('invoices__line_items') }}
),

invoices as (
    select * from {{ xero_source('invoices') }}
),

final as (
    select
        -- ids
        invoices.tenant_id,
        invoices.invoice_id,
        line_items.line_item_id,
        line_items.account_id,

        -- strings
        line_items.description,
        line_items.item_code,
        line_items.account_code,
        line_items.tax_type,

        -- numerics
        line_items.quantity,
        line_items.unit_amount,
        line_items.discount_rate,
        line_items.discount_amount,
        line_items.tax_amount,
        line_items.line_amount

    from line_items
    inner join invoices
        on line_items._dlt_parent_id = invoices._dlt_id
    where invoices._deleted_at is null
)

select * from final

-- grain: one row per settlement of an aged document (tenant_id, document_id,
-- settlement_type, settlement_id, allocation_id): what reduces what is due on
-- an invoice, credit note or overpayment. A payment counts as paid on its
-- invoice, a refund as paid on its credit note or overpayment; an allocation
-- of a credit note, overpayment or prepayment counts as credited both on the
-- invoice it settles and on the credit it uses up. Only settlements that
-- still count (see int_invoice_settlements_unioned) are kept.

with

invoice_settlements as (
    select * from {{ ref('int_invoice_settlements_unioned') }}
),

payments as (
    select * from {{ ref('stg_xero__payments') }}
),

settlements_of_invoices as (
    select
        tenant_id,
        invoice_id as document_id,
        settlement_type,
        settlement_id,
        allocation_id,
        settlement_date,
        case when settlement_type = 'payment' then amount else 0 end as paid,
        case when settlement_type = 'payment' then 0 else amount end as credited
    from invoice_settlements
),

allocations_of_credits as (
    select
        tenant_id,
        settlement_id as document_id,
        settlement_type,
        settlement_id,
        allocation_id,
        settlement_date,
        0 as paid,
        amount as credited
    from invoice_settlements
    where settlement_type <> 'payment'
),

refunds_of_credits as (
    select
        tenant_id,
        coalesce(credit_note_id, overpayment_id) as document_id,
        'refund' as settlement_type,
        payment_id as settlement_id,
        cast(null as varchar) as allocation_id,
        payment_date as settlement_date,
        amount as paid,
        0 as credited
    from payments
    where
        not is_deleted
        and invoice_id is null
        and coalesce(credit_note_id, overpayment_id) is not null
),

final as (
    select * from settlements_of_invoices
    union all
    select * from allocations_of_credits
    union all
    select * from refunds_of_credits
)

select * from final

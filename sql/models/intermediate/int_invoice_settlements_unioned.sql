-- grain: one row per settlement of an invoice: a payment, or an allocation of a
-- credit note, overpayment or prepayment (tenant_id, invoice_id,
-- settlement_type, settlement_id, allocation_id) Only settlements that still
-- count in Xero are kept: DELETED payments, removed allocations and allocations
-- of credits that are not AUTHORISED or PAID are left out.

with

payments as (
    select * from {{ ref('stg_xero__payments') }}
),

credit_notes as (
    select * from {{ ref('stg_xero__credit_notes') }}
),

credit_note_allocations as (
    select * from {{ ref('stg_xero__credit_note_allocations') }}
),

overpayments as (
    select * from {{ ref('stg_xero__overpayments') }}
),

overpayment_allocations as (
    select * from {{ ref('stg_xero__overpayment_allocations') }}
),

prepayments as (
    select * from {{ ref('stg_xero__prepayments') }}
),

prepayment_allocations as (
    select * from {{ ref('stg_xero__prepayment_allocations') }}
),

payments_kept as (
    select
        tenant_id,
        invoice_id,
        'payment' as settlement_type,
        payment_id as settlement_id,
        cast(null as varchar) as allocation_id,
        payment_date as settlement_date,
        amount
    from payments
    where
        invoice_id is not null
        and not is_deleted
        -- refunds of credits carry the credit, not an invoice
        and coalesce(payment_type, '') not in (
            'ARCREDITPAYMENT', 'APCREDITPAYMENT',
            'AROVERPAYMENTPAYMENT', 'APOVERPAYMENTPAYMENT',
            'ARPREPAYMENTPAYMENT', 'APPREPAYMENTPAYMENT'
        )
),

credit_note_allocations_kept as (
    select
        credit_note_allocations.tenant_id,
        credit_note_allocations.invoice_id,
        'credit_note' as settlement_type,
        credit_note_allocations.credit_note_id as settlement_id,
        credit_note_allocations.allocation_id,
        -- an allocation without a date dates from its credit note
        coalesce(
            credit_note_allocations.allocation_date,
            credit_notes.credit_note_date
        )
        as settlement_date,
        credit_note_allocations.amount
    from credit_note_allocations
    inner join credit_notes
        on
            credit_note_allocations.tenant_id = credit_notes.tenant_id
            and credit_note_allocations.credit_note_id
            = credit_notes.credit_note_id
    where
        credit_note_allocations.invoice_id is not null
        and not credit_note_allocations.is_deleted
        and credit_notes.is_posted
),

overpayment_allocations_kept as (
    select
        overpayment_allocations.tenant_id,
        overpayment_allocations.invoice_id,
        'overpayment' as settlement_type,
        overpayment_allocations.overpayment_id as settlement_id,
        overpayment_allocations.allocation_id,
        -- an allocation without a date dates from its overpayment
        coalesce(
            overpayment_allocations.allocation_date,
            overpayments.overpayment_date
        )
        as settlement_date,
        overpayment_allocations.amount
    from overpayment_allocations
    inner join overpayments
        on
            overpayment_allocations.tenant_id = overpayments.tenant_id
            and overpayment_allocations.overpayment_id
            = overpayments.overpayment_id
    where
        overpayment_allocations.invoice_id is not null
        and not overpayment_allocations.is_deleted
        and overpayments.is_posted
),

prepayment_allocations_kept as (
    select
        prepayment_allocations.tenant_id,
        prepayment_allocations.invoice_id,
        'prepayment' as settlement_type,
        prepayment_allocations.prepayment_id as settlement_id,
        prepayment_allocations.allocation_id,
        -- an allocation without a date dates from its prepayment
        coalesce(
            prepayment_allocations.allocation_date,
            prepayments.prepayment_date
        )
        as settlement_date,
        prepayment_allocations.amount
    from prepayment_allocations
    inner join prepayments
        on
            prepayment_allocations.tenant_id = prepayments.tenant_id
            and prepayment_allocations.prepayment_id
            = prepayments.prepayment_id
    where
        prepayment_allocations.invoice_id is not null
        and not prepayment_allocations.is_deleted
        and prepayments.is_posted
),

final as (
    select * from payments_kept
    union all
    select * from credit_note_allocations_kept
    union all
    select * from overpayment_allocations_kept
    union all
    select * from prepayment_allocations_kept
)

select * from final

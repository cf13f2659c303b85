-- grain: one row per tenant_id, account_id (chart of accounts, bank accounts
-- included)

with

accounts as (
    select * from {{ xero_source('accounts') }}
),

final as (
    select
        -- ids
        tenant_id,
        account_id,

        -- strings
        code as account_code,
        name as account_name,
        type as account_type,
        class as account_class,
        status as account_status,
        description,
        tax_type,
        currency_code,
        bank_account_number,
        bank_account_type,
        system_account,
        reporting_code,

        -- booleans
        coalesce(type = 'BANK', false) as is_bank_account,
        coalesce(enable_payments_to_account, false) as is_payments_enabled,
        coalesce(show_in_expense_claims, false) as is_shown_in_expense_claims,

        -- timestamps
        updated_date_utc as updated_at

    from accounts
    -- accounts are hard-deleted in Xero; a full refresh marks them here
    where _deleted_at is null
)

select * from final

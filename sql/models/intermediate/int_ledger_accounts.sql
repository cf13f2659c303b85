-- grain: one row per tenant_id, account_id (the chart of accounts, plus accounts that only
-- journal lines name, e.g. deleted since: their code, name and type from the lines)

with

accounts as (
    select * from {{ ref('stg_xero__accounts') }}
),

journal_lines as (
    select * from {{ ref('stg_xero__journal_lines') }}
),

unlisted as (
    select
        tenant_id,
        account_id,
        max(account_code) as account_code,
        max(account_name) as account_name,
        max(account_type) as account_type
    from journal_lines
    where not exists (
        select 1
        from accounts
        where
            accounts.tenant_id = journal_lines.tenant_id
            and accounts.account_id = journal_lines.account_id
    )
    group by tenant_id, account_id
),

final as (
    select
        tenant_id,
        account_id,
        account_code,
        account_name,
        account_type,
        coalesce(account_class, {{ xero_account_class('account_type') }}) as account_class,
        system_account
    from accounts

    union all

    select
        tenant_id,
        account_id,
        account_code,
        account_name,
        account_type,
        {{ xero_account_class('account_type') }} as account_class,
        cast(null as varchar) as system_account
    from unlisted
)

select * from final

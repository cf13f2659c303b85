-- grain: one row per tenant_id, journal_id, journal_line_id (every line of Xero's journals,
-- in the organisation's base currency)

with

journal_lines as (
    select * from {{ ref('stg_xero__journal_lines') }}
),

journals as (
    select * from {{ ref('stg_xero__journals') }}
),

accounts as (
    select * from {{ ref('int_ledger_accounts') }}
),

source_contacts as (
    select * from {{ ref('int_ledger_source_contacts') }}
),

organisations as (
    select * from {{ ref('stg_xero__organisations') }}
),

final as (
    select
        -- ids
        journal_lines.tenant_id,
        journal_lines.journal_id,
        journal_lines.journal_line_id,
        journal_lines.account_id,
        source_contacts.contact_id,
        journals.source_id,

        -- strings
        coalesce(accounts.account_code, journal_lines.account_code) as account_code,
        coalesce(accounts.account_name, journal_lines.account_name) as account_name,
        coalesce(accounts.account_type, journal_lines.account_type) as account_type,
        accounts.account_class,
        journals.source_type,
        journal_lines.tracking,
        journal_lines.description,
        organisations.base_currency as currency_code,

        -- numerics
        journals.journal_number,
        cast(
            case when journal_lines.net_amount > 0 then journal_lines.net_amount else 0 end
            as decimal(18, 2)
        ) as debit,
        cast(
            case when journal_lines.net_amount < 0 then -journal_lines.net_amount else 0 end
            as decimal(18, 2)
        ) as credit,
        cast(journal_lines.net_amount as decimal(18, 2)) as net_amount,
        cast(journal_lines.tax_amount as decimal(18, 2)) as tax_amount,

        -- dates
        journals.journal_date

    from journal_lines
    inner join journals
        on
            journal_lines.tenant_id = journals.tenant_id
            and journal_lines.journal_id = journals.journal_id
    left join accounts
        on
            journal_lines.tenant_id = accounts.tenant_id
            and journal_lines.account_id = accounts.account_id
    left join source_contacts
        on
            journals.tenant_id = source_contacts.tenant_id
            and journals.source_id = source_contacts.source_id
    left join organisations
        on journal_lines.tenant_id = organisations.tenant_id
)

select * from final

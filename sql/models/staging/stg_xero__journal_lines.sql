-- grain: one row per journal line (tenant_id, journal_id, journal_line_id)

with

journal_lines as (
    select * from {{ xero_source('journals__journal_lines') }}
),

journals as (
    select * from {{ xero_source('journals') }}
),

tracking_categories as (
    select * from {{ xero_source('journals__journal_lines__tracking_categories') }}
),

tracking as (
    select
        _dlt_parent_id,
        string_agg(name || ': ' || option, '; ' order by name, option) as tracking
    from tracking_categories
    group by _dlt_parent_id
),

final as (
    select
        -- ids
        journals.tenant_id,
        journals.journal_id,
        journal_lines.journal_line_id,
        journal_lines.account_id,

        -- strings
        journal_lines.account_code,
        journal_lines.account_type,
        journal_lines.account_name,
        journal_lines.description,
        journal_lines.tax_type,
        journal_lines.tax_name,
        -- "Category: Option" pairs, "; "-separated; null when untracked
        tracking.tracking,

        -- numerics
        -- in the base currency; debits positive, credits negative
        journal_lines.net_amount,
        journal_lines.gross_amount,
        journal_lines.tax_amount

    from journal_lines
    inner join journals
        on journal_lines._dlt_parent_id = journals._dlt_id
    left join tracking
        on tracking._dlt_parent_id = journal_lines._dlt_id
    where journals._deleted_at is null
)

select * from final

-- grain: one row per tenant_id, period_end, subject_id, measure (each figure of Xero's
-- Trial Balance snapshots against fct_trial_balance, its Total line included; accounts on
-- one side only included)

with

warehouse as (
    select * from {{ ref('fct_trial_balance') }}
),

report as (
    select * from {{ ref('stg_xero__report_trial_balance') }}
),

warehouse_accounts as (
    {{ tie_out_snapshotted('warehouse', 'report', 'as_of_date') }}
),

-- the accounts, and the report's Total line
warehouse_lines as (
    select
        tenant_id, as_of_date, account_id as line_id, account_code, account_name,
        debit, credit, ytd_debit, ytd_credit
    from warehouse_accounts

    union all

    select
        tenant_id, as_of_date, 'total' as line_id, cast(null as varchar) as account_code,
        'Total' as account_name,
        sum(debit), sum(credit), sum(ytd_debit), sum(ytd_credit)
    from warehouse_accounts
    group by tenant_id, as_of_date
),

report_lines as (
    select
        *,
        coalesce(account_id, 'total') as line_id
    from report
    where account_id is not null or (section is null and label = 'Total')
),

joined as (
    {{ tie_out_sides(
        'warehouse_lines',
        'report_lines',
        [
            ['tenant_id', 'tenant_id', 'tenant_id'],
            ['as_of_date', 'report_date', 'period_end'],
            ['line_id', 'line_id', 'line_id'],
        ],
        [
            ['debit', 'debit', 'debit'],
            ['credit', 'credit', 'credit'],
            ['ytd_debit', 'ytd_debit', 'ytd_debit'],
            ['ytd_credit', 'ytd_credit', 'ytd_credit'],
        ],
    ) }}
),

compared as (
    select
        tenant_id,
        'trial_balance' as check_name,
        cast(null as date) as period_start,
        period_end,
        nullif(line_id, 'total') as subject_id,
        subject_name,
        measure,
        warehouse_value,
        xero_value,
        -- the trial balance holds journals only: no difference is there by design
        cast(null as varchar) as explanation
    from (
        {{ tie_out_measures(
            'joined',
            ['debit', 'credit', 'ytd_debit', 'ytd_credit'],
            ['tenant_id', 'period_end', 'line_id', 'subject_name']
        ) }}
    ) as measures
),

final as (
    {{ tie_out_contract('compared') }}
)

select * from final

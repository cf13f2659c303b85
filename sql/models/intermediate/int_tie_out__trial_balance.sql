-- grain: one row per tenant_id, period_end, subject_id, measure (each figure of Xero's
-- Trial Balance snapshots against fct_trial_balance; accounts on one side only included)

with

warehouse as (
    select * from {{ ref('fct_trial_balance') }}
),

report as (
    select * from {{ ref('stg_xero__report_trial_balance') }}
),

warehouse_lines as (
    {{ tie_out_snapshotted('warehouse', 'report', 'as_of_date') }}
),

report_lines as (
    select * from report where account_id is not null
),

joined as (
    {{ tie_out_sides(
        'warehouse_lines',
        'report_lines',
        [
            ['tenant_id', 'tenant_id', 'tenant_id'],
            ['as_of_date', 'report_date', 'period_end'],
            ['account_id', 'account_id', 'subject_id'],
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
        subject_id,
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
            ['tenant_id', 'period_end', 'subject_id', 'subject_name']
        ) }}
    ) as measures
),

final as (
    {{ tie_out_contract('compared') }}
)

select * from final

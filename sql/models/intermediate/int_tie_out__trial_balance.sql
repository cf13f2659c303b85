-- grain: one row per tenant_id, period_end, subject_id, measure (each figure of Xero's
-- Trial Balance snapshots against fct_trial_balance; accounts on one side only included)

with

warehouse as (
    select * from {{ ref('fct_trial_balance') }}
),

report as (
    select * from {{ ref('stg_xero__report_trial_balance') }}
),

snapshots as (
    select distinct tenant_id, report_date from report
),

warehouse_lines as (
    select warehouse.*
    from warehouse
    inner join snapshots
        on
            warehouse.tenant_id = snapshots.tenant_id
            and warehouse.as_of_date = snapshots.report_date
),

report_lines as (
    select * from report where account_id is not null
),

joined as (
    select
        coalesce(warehouse_lines.tenant_id, report_lines.tenant_id) as tenant_id,
        coalesce(warehouse_lines.as_of_date, report_lines.report_date) as period_end,
        coalesce(warehouse_lines.account_id, report_lines.account_id) as subject_id,
        case
            when warehouse_lines.account_id is null then report_lines.label
            else concat_ws(' ', nullif(warehouse_lines.account_code, ''), warehouse_lines.account_name)
        end as subject_name,
        warehouse_lines.debit as warehouse_debit,
        warehouse_lines.credit as warehouse_credit,
        warehouse_lines.ytd_debit as warehouse_ytd_debit,
        warehouse_lines.ytd_credit as warehouse_ytd_credit,
        report_lines.debit as xero_debit,
        report_lines.credit as xero_credit,
        report_lines.ytd_debit as xero_ytd_debit,
        report_lines.ytd_credit as xero_ytd_credit
    from warehouse_lines
    full outer join report_lines
        on
            warehouse_lines.tenant_id = report_lines.tenant_id
            and warehouse_lines.as_of_date = report_lines.report_date
            and warehouse_lines.account_id = report_lines.account_id
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

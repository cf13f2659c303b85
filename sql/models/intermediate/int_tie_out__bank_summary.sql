-- grain: one row per tenant_id, period_end, subject_id, measure (each figure of Xero's
-- monthly Bank Summary snapshots against the bank accounts' journal lines)

with

ledger as (
    select * from {{ ref('fct_general_ledger') }}
),

report as (
    select * from {{ ref('stg_xero__report_bank_summary') }}
),

snapshots as (
    select distinct tenant_id, period_start, report_date from report
),

bank_days as (
    select
        tenant_id,
        account_id,
        account_code,
        account_name,
        journal_date,
        sum(case when net_amount > 0 then net_amount else 0 end) as received,
        sum(case when net_amount < 0 then -net_amount else 0 end) as spent
    from ledger
    where account_type = 'BANK'
    group by 1, 2, 3, 4, 5
),

bank_periods as (
    select
        snapshots.tenant_id,
        snapshots.period_start,
        snapshots.report_date as period_end,
        bank_days.account_id,
        max(bank_days.account_code) as account_code,
        max(bank_days.account_name) as account_name,
        sum(
            case
                when bank_days.journal_date < snapshots.period_start
                    then bank_days.received - bank_days.spent
                else 0
            end
        ) as opening_balance,
        sum(
            case when bank_days.journal_date >= snapshots.period_start then bank_days.received else 0 end
        ) as cash_received,
        sum(
            case when bank_days.journal_date >= snapshots.period_start then bank_days.spent else 0 end
        ) as cash_spent
    from snapshots
    inner join bank_days
        on
            snapshots.tenant_id = bank_days.tenant_id
            and bank_days.journal_date <= snapshots.report_date
    group by 1, 2, 3, 4
),

warehouse_lines as (
    select
        *,
        opening_balance + cash_received - cash_spent as closing_balance
    from bank_periods
    where opening_balance != 0 or cash_received != 0 or cash_spent != 0
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
            ['period_start', 'period_start', 'period_start'],
            ['period_end', 'report_date', 'period_end'],
            ['account_id', 'account_id', 'subject_id'],
        ],
        [
            ['opening_balance', 'opening_balance', 'opening_balance'],
            ['cash_received', 'cash_received', 'cash_received'],
            ['cash_spent', 'cash_spent', 'cash_spent'],
            ['closing_balance', 'closing_balance', 'closing_balance'],
        ],
    ) }}
),

compared as (
    select
        tenant_id,
        'bank_summary' as check_name,
        period_start,
        period_end,
        subject_id,
        subject_name,
        measure,
        warehouse_value,
        xero_value,
        -- bank accounts are not revalued: no difference is there by design
        cast(null as varchar) as explanation
    from (
        {{ tie_out_measures(
            'joined',
            ['opening_balance', 'cash_received', 'cash_spent', 'closing_balance'],
            ['tenant_id', 'period_start', 'period_end', 'subject_id', 'subject_name']
        ) }}
    ) as measures
),

final as (
    {{ tie_out_contract('compared') }}
)

select * from final

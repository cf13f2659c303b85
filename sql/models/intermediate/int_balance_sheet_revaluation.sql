-- grain: one row per tenant_id, period_end (the unrealised currency revaluation Xero's
-- Balance Sheet snapshot holds beyond the journals, seen from both sides)

with

compared as (
    select * from {{ ref('int_balance_sheet_compared') }}
),

final as (
    select
        -- ids
        tenant_id,

        -- numerics
        -- receivables revalued up and payables down raise the gain: Xero's control
        -- accounts exceed the journals' by the gain
        cast(sum(
            case
                when revaluation_role = 'control'
                    then debit_sign * (coalesce(xero_value, 0) - coalesce(warehouse_value, 0))
                else 0
            end
        ) as decimal(18, 2)) as revaluation_in_control_accounts,
        -- ... and its equity (Current Year Earnings, Retained Earnings) by the same gain
        cast(sum(
            case
                when revaluation_role = 'equity'
                    then coalesce(xero_value, 0) - coalesce(warehouse_value, 0)
                else 0
            end
        ) as decimal(18, 2)) as revaluation_in_equity,

        -- dates
        period_end

    from compared
    group by tenant_id, period_end
)

select * from final

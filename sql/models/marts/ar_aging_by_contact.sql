-- grain: one row per tenant_id, contact_id, currency_code, as_of_date: what
-- each customer owed on the as-of date, by aging bucket, in the invoice
-- currency, with the total also in the base currency.

with

aging as (
    select * from {{ ref('fct_ar_aging') }}
),

final as (
    select
        tenant_id,
        contact_id,
        max(contact_name) as contact_name,
        currency_code,
        as_of_date,
        count(*) as open_invoices,
        sum(case when aging_bucket = 'current' then amount_due else 0 end)
        as amount_current,
        sum(case when aging_bucket = '1_30' then amount_due else 0 end)
        as amount_1_30,
        sum(case when aging_bucket = '31_60' then amount_due else 0 end)
        as amount_31_60,
        sum(case when aging_bucket = '61_90' then amount_due else 0 end)
        as amount_61_90,
        sum(case when aging_bucket = 'over_90' then amount_due else 0 end)
        as amount_over_90,
        sum(amount_due) as amount_total,
        sum(amount_due_base) as amount_total_base,
        base_currency,
        max(days_overdue) as max_days_overdue
    from aging
    group by tenant_id, contact_id, currency_code, as_of_date, base_currency
)

select * from final

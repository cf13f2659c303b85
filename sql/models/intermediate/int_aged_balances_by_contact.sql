-- grain: one row per tenant_id, ledger, contact_id: what each contact owed (or
-- was owed) on the as-of date, in the base currency, by Xero's aging periods:
-- the columns of Xero's Aged Receivables / Payables Summary. Only contacts
-- with open documents.

{%- set periods = ['current', 'less_than_1_month', 'month_1', 'month_2', 'month_3', 'older'] %}

with

documents as (
    select * from {{ ref('int_aged_documents_aged') }}
),

final as (
    select
        tenant_id,
        as_of_date,
        ledger,
        contact_id,
        max(contact_name) as contact_name,
        max(base_currency) as base_currency,
        {%- for period in periods %}
        sum(case when aging_period = '{{ period }}' then due_base else 0 end)
        as {{ period }},
        {%- endfor %}
        sum(due_base) as total,
        count(*) as document_count
    from documents
    group by tenant_id, as_of_date, ledger, contact_id
)

select * from final

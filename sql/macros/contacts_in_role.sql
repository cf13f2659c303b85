{#
    The contacts Xero marks with `role` (`customer`: IsCustomer, `supplier`: IsSupplier),
    archived ones included, their id and name named after the role: the body of
    dim_customers and dim_suppliers.
#}
{% macro contacts_in_role(role) %}
{%- set other = {'customer': 'supplier', 'supplier': 'customer'}[role] -%}
with

contacts as (
    select * from {{ ref('stg_xero__contacts') }}
),

final as (
    select
        tenant_id,
        contact_id as {{ role }}_id,
        contact_name as {{ role }}_name,
        contact_number,
        account_number,
        first_name,
        last_name,
        email_address,
        tax_number,
        default_currency,
        contact_status,
        is_archived,
        is_{{ other }},
        updated_at
    from contacts
    where is_{{ role }}
)

select * from final
{% endmacro %}

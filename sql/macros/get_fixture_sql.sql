{#
    Unit test fixtures of raw Xero tables take their columns and types from the source's
    declaration, not from the warehouse: a raw table may not exist yet, or lack columns dlt
    has not created. Every other fixture is dbt's own.
#}
{% macro get_fixture_sql(rows, column_name_to_data_types) %}
    {%- if model.source_name != 'xero' -%}
        {{ return(dbt.get_fixture_sql(rows, column_name_to_data_types)) }}
    {%- endif -%}
    {%- set declared = xero_declared_columns(model.name) -%}
    {%- for row in (rows or [{}]) %}
    select
        {%- set given = format_row(row, declared) %}
        {%- for column, data_type in declared.items() %}
        {{ given.get(column) or safe_cast('null', data_type) }} as {{ adapter.quote(column) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    {%- if not rows %}
    limit 0
    {%- elif not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}

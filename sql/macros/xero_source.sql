{#
    The raw table `name` of source `xero` as a subquery holding exactly its declared columns
    (macros/xero_raw_columns.sql), each cast to its declared type. dlt creates
    a column only once Xero returned a non-null value for it, and a table only once its
    collection was loaded: a declared column the warehouse lacks reads as a typed null, a
    missing table as an empty one. The raw schema is never altered.
#}
{% macro xero_source(name) %}
    {%- set relation = source('xero', name) -%}
    {%- set declared = xero_declared_columns(name) -%}
    {%- if not execute -%}
        (select 1 from {{ relation }}) as {{ name }}
    {%- elif model.resource_type == 'unit_test' -%}
        {#- unit test fixtures hold every declared column (see get_fixture_sql) -#}
        (select
        {%- for column, data_type in declared.items() %}
            cast({{ adapter.quote(column) }} as {{ data_type }}) as {{ adapter.quote(column) }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
        from {{ relation }}) as {{ name }}
    {%- else -%}
        {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        (select
        {%- for column, data_type in declared.items() %}
            cast({{ adapter.quote(column) if column in present else 'null' }} as {{ data_type }})
            as {{ adapter.quote(column) }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
        {%- if present %}
        from {{ relation }}
        {%- else %}
        where false
        {%- endif %}) as {{ name }}
    {%- endif -%}
{% endmacro %}


{# {column: data_type} declared for raw table `name` of source `xero`. #}
{% macro xero_declared_columns(name) %}
    {%- set declared = xero_raw_columns().get(name) -%}
    {%- if not declared -%}
        {{ exceptions.raise_compiler_error("xero." ~ name ~ " is not declared in macros/xero_raw_columns.sql") }}
    {%- endif -%}
    {{ return(declared) }}
{% endmacro %}

{#
    The `tie_out` contract over a relation `compared` holding, per compared figure:
    tenant_id, check_name, period_start, period_end, subject_id, subject_name, measure,
    warehouse_value, xero_value (null: the line is missing on that side, read as 0) and
    explanation (why a difference is there by design, or null).

    status: `tied` when the two values are equal to the cent; `explained` when the
    difference has an explanation, or when the tenant has no journals (Journals are only on
    Xero's Advanced plan: the warehouse side cannot be built); `broken` otherwise.
#}
{% macro tie_out_contract(compared) %}
    {%- set difference = 'coalesce(compared.warehouse_value, 0) - coalesce(compared.xero_value, 0)' -%}
    select
        cast(compared.tenant_id as varchar) as tenant_id,
        cast(compared.check_name as varchar) as check_name,
        cast(compared.period_start as date) as period_start,
        cast(compared.period_end as date) as period_end,
        cast(compared.subject_id as varchar) as subject_id,
        cast(compared.subject_name as varchar) as subject_name,
        cast(compared.measure as varchar) as measure,
        cast(coalesce(compared.warehouse_value, 0) as decimal(18, 2)) as warehouse_value,
        cast(coalesce(compared.xero_value, 0) as decimal(18, 2)) as xero_value,
        cast({{ difference }} as decimal(18, 2)) as difference,
        cast(
            case
                when {{ difference }} = 0 then 'tied'
                when journal_tenants.tenant_id is null then 'explained'
                when compared.explanation is not null then 'explained'
                else 'broken'
            end as varchar
        ) as status,
        cast(
            case
                when {{ difference }} = 0 then null
                when journal_tenants.tenant_id is null
                    then 'journals not available on this Xero plan'
                else compared.explanation
            end as varchar
        ) as explanation
    from {{ compared }} as compared
    left join (select distinct tenant_id from {{ ref('stg_xero__journals') }}) as journal_tenants
        on compared.tenant_id = journal_tenants.tenant_id
{% endmacro %}


{# One row per measure of `joined`, whose columns are warehouse_<measure> and
   xero_<measure>; `columns` are passed through. #}
{% macro tie_out_measures(joined, measures, columns) %}
    {%- for measure in measures %}
    select
        {{ columns | join(', ') }},
        '{{ measure }}' as measure,
        warehouse_{{ measure }} as warehouse_value,
        xero_{{ measure }} as xero_value
    from {{ joined }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}


{#
    The two sides of a tie-out line by line: `warehouse` and `report` (relations) full outer
    joined on `keys` ([warehouse column, report column, name] each), every key coalesced,
    subject_name the warehouse's "code name" (Xero's label when only Xero has the line), and
    each of `values` ([warehouse column, report column, measure]) as warehouse_<measure> and
    xero_<measure>.
#}
{% macro tie_out_sides(warehouse, report, keys, values) %}
    select
        {%- for warehouse_column, report_column, name in keys %}
        coalesce({{ warehouse }}.{{ warehouse_column }}, {{ report }}.{{ report_column }})
        as {{ name }},
        {%- endfor %}
        case
            when {{ warehouse }}.{{ keys[-1][0] }} is null then {{ report }}.label
            else
                concat_ws(
                    ' ', nullif({{ warehouse }}.account_code, ''), {{ warehouse }}.account_name
                )
        end as subject_name,
        {%- for warehouse_column, report_column, measure in values %}
        {{ warehouse }}.{{ warehouse_column }} as warehouse_{{ measure }},
        {{ report }}.{{ report_column }} as xero_{{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ warehouse }}
    full outer join {{ report }}
        on
        {%- for warehouse_column, report_column, name in keys %}
            {{ 'and ' if not loop.first }}{{ warehouse }}.{{ warehouse_column }}
            = {{ report }}.{{ report_column }}
        {%- endfor %}
{% endmacro %}


{# The rows of `relation` for the (tenant_id, date) pairs that have a snapshot in
   `snapshots` (`date_column` of relation = snapshots.report_date). #}
{% macro tie_out_snapshotted(relation, snapshots, date_column) %}
    select {{ relation }}.*
    from {{ relation }}
    inner join (select distinct tenant_id, report_date from {{ snapshots }}) as snapshots
        on
            {{ relation }}.tenant_id = snapshots.tenant_id
            and {{ relation }}.{{ date_column }} = snapshots.report_date
{% endmacro %}

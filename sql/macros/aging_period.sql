{#
    The aging of Xero's aged reports, set by two vars:
    - `aging_basis`: `due_date` (default; an invoice without one, every credit note and
      overpayment age by their date) or `invoice_date` (every document by its date);
    - `aging_periods`: `month` (default, Xero's calendar-month periods) or `day` (30-day ones).
    Periods, Xero's columns: current (not past the basis date), less_than_1_month, month_1,
    month_2, month_3, older. By month, period k ends on the as-of date moved back k months
    (cut at the shorter month's end; when the as-of date is a month-end, the month-ends, so
    each period is a calendar month); by day, every 30 days.
#}
{% macro aging_basis() %}
    {%- set basis = var('aging_basis', 'due_date') -%}
    {%- if basis not in ('due_date', 'invoice_date') -%}
        {{ exceptions.raise_compiler_error("bad aging_basis " ~ basis ~ ": use due_date or invoice_date") }}
    {%- endif -%}
    {{ return(basis) }}
{% endmacro %}


{% macro aging_basis_date(document_type, document_date, due_date) %}
    {%- if aging_basis() == 'due_date' -%}
        case when {{ document_type }} = 'invoice' then coalesce({{ due_date }}, {{ document_date }}) else {{ document_date }} end
    {%- else -%}
        {{ document_date }}
    {%- endif -%}
{% endmacro %}


{% macro aging_period(basis_date, as_of_date) %}
    {%- set periods = var('aging_periods', 'month') -%}
    {%- if periods == 'day' %}
        case
            when {{ as_of_date }} - {{ basis_date }} <= 0 then 'current'
            when {{ as_of_date }} - {{ basis_date }} <= 30 then 'less_than_1_month'
            when {{ as_of_date }} - {{ basis_date }} <= 60 then 'month_1'
            when {{ as_of_date }} - {{ basis_date }} <= 90 then 'month_2'
            when {{ as_of_date }} - {{ basis_date }} <= 120 then 'month_3'
            else 'older'
        end
    {%- elif periods == 'month' %}
        case
            when {{ basis_date }} >= {{ as_of_date }} then 'current'
            when {{ basis_date }} > {{ months_before(as_of_date, 1) }} then 'less_than_1_month'
            when {{ basis_date }} > {{ months_before(as_of_date, 2) }} then 'month_1'
            when {{ basis_date }} > {{ months_before(as_of_date, 3) }} then 'month_2'
            when {{ basis_date }} > {{ months_before(as_of_date, 4) }} then 'month_3'
            else 'older'
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error("bad aging_periods " ~ periods ~ ": use month or day") }}
    {%- endif -%}
{% endmacro %}


{# `day` moved back `months` calendar months: a month-end to a month-end, any other day
   cut at the target month's length. #}
{% macro months_before(day, months) -%}
    case
        when extract(day from {{ day }} + interval '1 day') = 1
            then cast(
                date_trunc('month', cast({{ day }} as timestamp)) - interval '{{ months - 1 }} month' - interval '1 day'
                as date
            )
        else cast({{ day }} - interval '{{ months }} month' as date)
    end
{%- endmacro %}

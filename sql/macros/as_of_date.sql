{#
    The aging date as a SQL date: var `as_of` (YYYY-MM-DD), or the day the run started (UTC).
#}
{% macro as_of_date() %}
    {%- set as_of = var('as_of', '') or run_started_at.strftime('%Y-%m-%d') -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', as_of | string) -%}
        {{ exceptions.raise_compiler_error("bad as_of " ~ as_of ~ ": use YYYY-MM-DD") }}
    {%- endif -%}
    cast('{{ as_of }}' as date)
{% endmacro %}

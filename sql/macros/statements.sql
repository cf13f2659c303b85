{#
    How Xero's statements group accounts, as data: the class of each account type, the
    Profit and Loss sections (with the sign each shows: 1 debit positive, -1 credit
    positive) and the Balance Sheet sections. Used by the statement models and their
    tie-outs.
#}
{% macro xero_statement_layout() %}
{%- set layout %}
account_class:
  BANK: ASSET
  CURRENT: ASSET
  FIXED: ASSET
  INVENTORY: ASSET
  NONCURRENT: ASSET
  PREPAYMENT: ASSET
  CURRLIAB: LIABILITY
  LIABILITY: LIABILITY
  TERMLIAB: LIABILITY
  PAYG: LIABILITY
  EQUITY: EQUITY
  REVENUE: REVENUE
  SALES: REVENUE
  OTHERINCOME: REVENUE
  EXPENSE: EXPENSE
  DIRECTCOSTS: EXPENSE
  OVERHEADS: EXPENSE
  DEPRECIATN: EXPENSE

profit_and_loss:
  - {section: "Income", sign: -1, types: [REVENUE, SALES]}
  - {section: "Less Cost of Sales", sign: 1, types: [DIRECTCOSTS]}
  - {section: "Plus Other Income", sign: -1, types: [OTHERINCOME]}
  - {section: "Less Operating Expenses", sign: 1, types: [EXPENSE, OVERHEADS, DEPRECIATN]}

balance_sheet:
  - {section: "Bank", sign: 1, types: [BANK]}
  - {section: "Current Assets", sign: 1, types: [CURRENT, INVENTORY, PREPAYMENT]}
  - {section: "Fixed Assets", sign: 1, types: [FIXED]}
  - {section: "Non-current Assets", sign: 1, types: [NONCURRENT]}
  - {section: "Current Liabilities", sign: -1, types: [CURRLIAB, LIABILITY, PAYG]}
  - {section: "Non-current Liabilities", sign: -1, types: [TERMLIAB]}
  - {section: "Equity", sign: -1, types: [EQUITY]}
{% endset -%}
{{ return(fromyaml(layout)) }}
{% endmacro %}


{# The account class (ASSET, LIABILITY, EQUITY, REVENUE, EXPENSE) of an account type. #}
{% macro xero_account_class(account_type) %}
    case {{ account_type }}
    {%- for kind, account_class in xero_statement_layout()['account_class'].items() %}
        when '{{ kind }}' then '{{ account_class }}'
    {%- endfor %}
    end
{% endmacro %}


{# The section of an account type in statement `statement` (profit_and_loss, balance_sheet),
   or its sign (1: shown debit positive, -1: credit positive) when `attribute` is 'sign'. #}
{% macro xero_statement_section(statement, account_type, attribute='section') %}
    case
    {%- for group in xero_statement_layout()[statement] %}
        when {{ account_type }} in ('{{ group['types'] | join("', '") }}')
        then {{ "'" ~ group[attribute] ~ "'" if attribute == 'section' else group[attribute] }}
    {%- endfor %}
    end
{% endmacro %}


{#
    The first day of the financial year holding `day`, for a year ending on day `end_day` of
    month `end_month` (Organisation.FinancialYearEndDay/Month; a day past the month's length
    means its last day).
#}
{% macro xero_financial_year_start(day, end_day, end_month) %}
    case
        when {{ day }} > {{ _xero_year_end('extract(year from ' ~ day ~ ')', end_day, end_month) }}
        then {{ _xero_year_end('extract(year from ' ~ day ~ ')', end_day, end_month) }} + 1
        else {{ _xero_year_end('extract(year from ' ~ day ~ ') - 1', end_day, end_month) }} + 1
    end
{% endmacro %}


{% macro _xero_year_end(year, end_day, end_month) %}
    make_date(
        cast({{ year }} as integer),
        cast({{ end_month }} as integer),
        cast(least({{ end_day }}, extract(day from
            cast(make_date(cast({{ year }} as integer), cast({{ end_month }} as integer), 1)
                + interval '1 month' as date) - 1
        )) as integer)
    )
{% endmacro %}


{# The last day of the month holding `day`. #}
{% macro xero_month_end(day) %}
    (cast(cast(date_trunc('month', {{ day }}) as date) + interval '1 month' as date) - 1)
{% endmacro %}


{# The sign a Balance Sheet section shows its accounts with (1: debit positive). #}
{% macro xero_balance_sheet_sign(section) %}
    case
    {%- for group in xero_statement_layout()['balance_sheet'] %}
        when {{ section }} = '{{ group['section'] }}' then {{ group['sign'] }}
    {%- endfor %}
    end
{% endmacro %}


{#
    The columns of a report snapshot (raw table `name`, declared in xero_raw_columns) read
    from `relation`: money cells to the cent with an empty cell as 0, the rest as loaded.
#}
{% macro xero_report_columns(name, relation) %}
    {%- set declared = xero_declared_columns(name) %}
    select
    {%- for column, data_type in declared.items() %}
        {%- if data_type.startswith('decimal') %}
        cast(coalesce({{ relation }}.{{ column }}, 0) as decimal(18, 2)) as {{ column }}
        {%- else %}
        {{ relation }}.{{ column }}
        {%- endif %}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    from {{ relation }}
{% endmacro %}

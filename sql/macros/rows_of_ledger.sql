{#
    The rows of one ledger (`receivable` or `payable`) of an intermediate model that holds
    both: the body of the marts that split one model by ledger (fct_aged_*, rpt_aged_*).
#}
{% macro rows_of_ledger(model_name, ledger) %}
with

both_ledgers as (
    select * from {{ ref(model_name) }}
),

final as (
    select * from both_ledgers
    where ledger = '{{ ledger }}'
)

select * from final
{% endmacro %}

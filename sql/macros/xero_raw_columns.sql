{#
    The raw columns the staging models read, with their types, per raw table of source `xero`
    (models/staging/_xero__sources.yml). dlt creates a table once its collection is loaded and
    a column once Xero returned a non-null value for it: `xero_source` reads a declared column
    missing from the warehouse as a typed null and a missing table as an empty one. A staging
    model may only use the columns declared here. Types are spelt the same in DuckDB and
    PostgreSQL.
#}
{% macro xero_raw_columns() %}
{%- set declared %}
invoices:
  _dlt_id: varchar
  _deleted_at: timestamptz
  tenant_id: varchar
  invoice_id: varchar
  invoice_number: varchar
  reference: varchar
  type: varchar
  status: varchar
  line_amount_types: varchar
  contact__contact_id: varchar
  contact__name: varchar
  currency_code: varchar
  currency_rate: decimal(38, 9)
  sub_total: decimal(38, 9)
  total_tax: decimal(38, 9)
  total: decimal(38, 9)
  amount_due: decimal(38, 9)
  amount_paid: decimal(38, 9)
  amount_credited: decimal(38, 9)
  date: date
  due_date: date
  expected_payment_date: date
  fully_paid_on_date: date
  updated_date_utc: timestamptz

invoices__line_items:
  _dlt_id: varchar
  _dlt_parent_id: varchar
  line_item_id: varchar
  description: varchar
  item_code: varchar
  account_code: varchar
  account_id: varchar
  tax_type: varchar
  quantity: decimal(38, 9)
  unit_amount: decimal(38, 9)
  discount_rate: decimal(38, 9)
  discount_amount: decimal(38, 9)
  tax_amount: decimal(38, 9)
  line_amount: decimal(38, 9)

payments:
  _dlt_id: varchar
  _deleted_at: timestamptz
  tenant_id: varchar
  payment_id: varchar
  batch_payment_id: varchar
  invoice__invoice_id: varchar
  invoice__invoice_number: varchar
  invoice__type: varchar
  invoice__currency_code: varchar
  invoice__contact__contact_id: varchar
  credit_note__credit_note_id: varchar
  credit_note__credit_note_number: varchar
  overpayment__overpayment_id: varchar
  prepayment__prepayment_id: varchar
  account__account_id: varchar
  account__code: varchar
  reference: varchar
  status: varchar
  payment_type: varchar
  currency_rate: decimal(38, 9)
  amount: decimal(38, 9)
  bank_amount: decimal(38, 9)
  is_reconciled: boolean
  date: date
  updated_date_utc: timestamptz

credit_notes:
  _dlt_id: varchar
  _deleted_at: timestamptz
  tenant_id: varchar
  credit_note_id: varchar
  credit_note_number: varchar
  reference: varchar
  type: varchar
  status: varchar
  line_amount_types: varchar
  contact__contact_id: varchar
  contact__name: varchar
  currency_code: varchar
  currency_rate: decimal(38, 9)
  sub_total: decimal(38, 9)
  total_tax: decimal(38, 9)
  total: decimal(38, 9)
  remaining_credit: decimal(38, 9)
  applied_amount: decimal(38, 9)
  date: date
  due_date: date
  fully_paid_on_date: date
  updated_date_utc: timestamptz

credit_notes__allocations:
  _dlt_id: varchar
  _dlt_parent_id: varchar
  allocation_id: varchar
  invoice__invoice_id: varchar
  invoice__invoice_number: varchar
  amount: decimal(38, 9)
  is_deleted: boolean
  date: date

overpayments:
  _dlt_id: varchar
  _deleted_at: timestamptz
  tenant_id: varchar
  overpayment_id: varchar
  reference: varchar
  type: varchar
  status: varchar
  line_amount_types: varchar
  contact__contact_id: varchar
  contact__name: varchar
  currency_code: varchar
  currency_rate: decimal(38, 9)
  sub_total: decimal(38, 9)
  total_tax: decimal(38, 9)
  total: decimal(38, 9)
  remaining_credit: decimal(38, 9)
  applied_amount: decimal(38, 9)
  date: date
  updated_date_utc: timestamptz

overpayments__allocations:
  _dlt_id: varchar
  _dlt_parent_id: varchar
  allocation_id: varchar
  invoice__invoice_id: varchar
  invoice__invoice_number: varchar
  amount: decimal(38, 9)
  is_deleted: boolean
  date: date

prepayments:
  _dlt_id: varchar
  _deleted_at: timestamptz
  tenant_id: varchar
  prepayment_id: varchar
  invoice_number: varchar
  reference: varchar
  type: varchar
  status: varchar
  line_amount_types: varchar
  contact__contact_id: varchar
  contact__name: varchar
  currency_code: varchar
  currency_rate: decimal(38, 9)
  sub_total: decimal(38, 9)
  total_tax: decimal(38, 9)
  total: decimal(38, 9)
  remaining_credit: decimal(38, 9)
  applied_amount: decimal(38, 9)
  date: date
  updated_date_utc: timestamptz

prepayments__allocations:
  _dlt_id: varchar
  _dlt_parent_id: varchar
  allocation_id: varchar
  invoice__invoice_id: varchar
  invoice__invoice_number: varchar
  amount: decimal(38, 9)
  is_deleted: boolean
  date: date

contacts:
  _dlt_id: varchar
  _deleted_at: timestamptz
  tenant_id: varchar
  contact_id: varchar
  contact_number: varchar
  account_number: varchar
  name: varchar
  first_name: varchar
  last_name: varchar
  email_address: varchar
  contact_status: varchar
  tax_number: varchar
  default_currency: varchar
  is_customer: boolean
  is_supplier: boolean
  updated_date_utc: timestamptz

accounts:
  _dlt_id: varchar
  _deleted_at: timestamptz
  tenant_id: varchar
  account_id: varchar
  code: varchar
  name: varchar
  type: varchar
  class: varchar
  status: varchar
  description: varchar
  tax_type: varchar
  currency_code: varchar
  bank_account_number: varchar
  bank_account_type: varchar
  system_account: varchar
  reporting_code: varchar
  enable_payments_to_account: boolean
  show_in_expense_claims: boolean
  updated_date_utc: timestamptz

bank_transactions:
  _dlt_id: varchar
  _deleted_at: timestamptz
  tenant_id: varchar
  bank_transaction_id: varchar
  prepayment_id: varchar
  overpayment_id: varchar
  contact__contact_id: varchar
  contact__name: varchar
  bank_account__account_id: varchar
  bank_account__code: varchar
  bank_account__name: varchar
  reference: varchar
  type: varchar
  status: varchar
  line_amount_types: varchar
  currency_code: varchar
  currency_rate: decimal(38, 9)
  sub_total: decimal(38, 9)
  total_tax: decimal(38, 9)
  total: decimal(38, 9)
  is_reconciled: boolean
  date: date
  updated_date_utc: timestamptz

journals:
  _dlt_id: varchar
  _deleted_at: timestamptz
  tenant_id: varchar
  journal_id: varchar
  journal_number: bigint
  source_id: varchar
  source_type: varchar
  reference: varchar
  journal_date: date
  created_date_utc: timestamptz

journals__journal_lines:
  _dlt_id: varchar
  _dlt_parent_id: varchar
  journal_line_id: varchar
  account_id: varchar
  account_code: varchar
  account_type: varchar
  account_name: varchar
  description: varchar
  tax_type: varchar
  tax_name: varchar
  net_amount: decimal(38, 9)
  gross_amount: decimal(38, 9)
  tax_amount: decimal(38, 9)

journals__journal_lines__tracking_categories:
  _dlt_parent_id: varchar
  name: varchar
  option: varchar

report_trial_balance:
  tenant_id: varchar
  report_date: date
  line: bigint
  section: varchar
  row_type: varchar
  account_id: varchar
  label: varchar
  debit: decimal(38, 9)
  credit: decimal(38, 9)
  ytd_debit: decimal(38, 9)
  ytd_credit: decimal(38, 9)

report_balance_sheet:
  tenant_id: varchar
  report_date: date
  line: bigint
  section: varchar
  row_type: varchar
  account_id: varchar
  label: varchar
  amount: decimal(38, 9)

report_profit_and_loss:
  tenant_id: varchar
  period_start: date
  report_date: date
  line: bigint
  section: varchar
  row_type: varchar
  account_id: varchar
  label: varchar
  amount: decimal(38, 9)

report_bank_summary:
  tenant_id: varchar
  period_start: date
  report_date: date
  line: bigint
  section: varchar
  row_type: varchar
  account_id: varchar
  label: varchar
  opening_balance: decimal(38, 9)
  cash_received: decimal(38, 9)
  cash_spent: decimal(38, 9)
  closing_balance: decimal(38, 9)

currencies:
  _dlt_id: varchar
  _deleted_at: timestamptz
  tenant_id: varchar
  code: varchar
  description: varchar

organisations:
  _dlt_id: varchar
  _deleted_at: timestamptz
  tenant_id: varchar
  organisation_id: varchar
  name: varchar
  legal_name: varchar
  short_code: varchar
  base_currency: varchar
  country_code: varchar
  timezone: varchar
  organisation_status: varchar
  financial_year_end_day: bigint
  financial_year_end_month: bigint
  is_demo_company: boolean
  created_date_utc: timestamptz

# both aged reports have the same lines
report_aged_receivables_by_contact: &aged_report_columns
  _dlt_load_id: varchar
  tenant_id: varchar
  report_date: date
  contact_id: varchar
  line: bigint
  section: varchar
  row_type: varchar
  document_id: varchar
  document_date: date
  label: varchar
  due_date: date
  status: varchar
  total: decimal(38, 9)
  paid: decimal(38, 9)
  credited: decimal(38, 9)
  due: decimal(38, 9)

report_aged_payables_by_contact: *aged_report_columns
{% endset -%}
{{ return(fromyaml(declared)) }}
{% endmacro %}

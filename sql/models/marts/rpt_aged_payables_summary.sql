-- grain: one row per tenant_id, contact_id, as_of_date: Xero's Aged Payables
-- Summary, one line per contact with open documents, in the base currency:
-- current, less_than_1_month, month_1, month_2, month_3, older and total (see
-- fct_aged_payables for the documents).

{{ rows_of_ledger('int_aged_balances_by_contact', 'payable') }}

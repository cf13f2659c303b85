-- grain: one row per tenant_id, document_id, as_of_date: each document of
-- Xero's Aged Receivables report open on the as-of date, what each customer
-- owes: sales invoices, credit notes, overpayments received. Amounts in the
-- document currency, credits negative; due_base in the base currency at the
-- document's own rate. Aged as Xero does (vars aging_basis, aging_periods).

{{ rows_of_ledger('int_aged_documents_aged', 'receivable') }}

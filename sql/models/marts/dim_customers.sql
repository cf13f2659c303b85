-- grain: one row per tenant_id, customer_id: each contact Xero marks as a
-- customer (is_customer: it has sales invoices), archived ones included.

{{ contacts_in_role('customer') }}

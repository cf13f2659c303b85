-- grain: one row per tenant_id, supplier_id: each contact Xero marks as a
-- supplier (is_supplier: it has bills), archived ones included.

{{ contacts_in_role('supplier') }}

-- Replacement orders (veriseal_commerce.replacements): an exchange of returned goods is a
-- new order linked to the order it replaces and to the return that approved it. At most
-- one replacement per return of a brand (the idempotency of OrderService.replace).
-- Ordinary orders leave both columns NULL.
ALTER TABLE commerce_orders ADD COLUMN replaces_order_id BIGINT REFERENCES commerce_orders(id);
ALTER TABLE commerce_orders ADD COLUMN return_no TEXT;
CREATE UNIQUE INDEX commerce_orders_return_no ON commerce_orders(brand_id, return_no);
CREATE INDEX commerce_orders_replaces ON commerce_orders(replaces_order_id, id);

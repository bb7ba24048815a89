-- Exact fulfilment (veriseal_commerce.fulfilment): the units a fulfil call takes from an
-- order are reserved under the order's row lock before territories ships them, then
-- confirmed with the shipment's movements (or released when the shipment is refused).
-- One row per attempt, keyed like territories' movements: (brand, actor, client_id).
CREATE TABLE commerce_fulfil_attempts (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL,
    order_id    BIGINT NOT NULL REFERENCES commerce_orders(id),
    actor       TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    units       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('reserved', 'confirmed', 'released')),
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (brand_id, actor, client_id)
);
CREATE INDEX commerce_fulfil_attempts_order ON commerce_fulfil_attempts(order_id, status);

-- Which receipt (territories' inbound movement) delivered which units of a fulfilment:
-- the deliveries consumer credits a receipt once, however often it is redelivered.
CREATE TABLE commerce_fulfilment_receipts (
    id          BIGSERIAL PRIMARY KEY,
    movement_id BIGINT NOT NULL,
    receipt_id  BIGINT NOT NULL,
    units       TEXT NOT NULL,
    UNIQUE (movement_id, receipt_id)
);

-- Dealer orders (veriseal_commerce.orders): the order with its three status axes
-- (status, payment_status cached from payments, fulfilment_status), its priced lines
-- (prices and discounts copied as plain values: they survive the rule's deletion), an
-- append-only event log, a message thread and the shipments that fulfil it.
-- Money: integer minor units of `currency`, never floats.
CREATE TABLE commerce_orders (
    id                 BIGSERIAL PRIMARY KEY,
    brand_id           BIGINT NOT NULL REFERENCES brands(id),
    org_id             BIGINT NOT NULL,
    order_no           TEXT NOT NULL UNIQUE,
    status             TEXT NOT NULL,
    payment_status     TEXT NOT NULL,
    fulfilment_status  TEXT NOT NULL,
    currency           TEXT NOT NULL,
    total              BIGINT NOT NULL,
    paid               BIGINT NOT NULL DEFAULT 0,
    region             TEXT NOT NULL,
    address            TEXT NOT NULL,
    territory_check    TEXT NOT NULL,
    availability_check TEXT NOT NULL,
    pay_by             TIMESTAMPTZ,
    created_by         TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    version            BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX commerce_orders_brand ON commerce_orders(brand_id, status, id);
CREATE INDEX commerce_orders_org ON commerce_orders(org_id, id);

CREATE TABLE commerce_order_lines (
    id          BIGSERIAL PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES commerce_orders(id),
    line_no     BIGINT NOT NULL,
    gtin        TEXT NOT NULL,
    name        TEXT NOT NULL,
    quantity    BIGINT NOT NULL CHECK (quantity > 0),
    unit_price  BIGINT NOT NULL,
    price_note  TEXT NOT NULL,
    discounts   TEXT NOT NULL,
    gift        BOOLEAN NOT NULL DEFAULT FALSE,
    amount      BIGINT NOT NULL,
    shipped     BIGINT NOT NULL DEFAULT 0,
    delivered   BIGINT NOT NULL DEFAULT 0,
    UNIQUE (order_id, line_no)
);

CREATE TABLE commerce_order_events (
    id          BIGSERIAL PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES commerce_orders(id),
    seq         BIGINT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL,
    data        TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    UNIQUE (order_id, seq)
);

CREATE TABLE commerce_order_messages (
    id          BIGSERIAL PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES commerce_orders(id),
    side        TEXT NOT NULL CHECK (side IN ('dealer', 'brand')),
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX commerce_order_messages_order ON commerce_order_messages(order_id, id);

CREATE TABLE commerce_fulfilments (
    id          BIGSERIAL PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES commerce_orders(id),
    movement_id BIGINT NOT NULL,
    units       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('shipped', 'delivered')),
    actor       TEXT NOT NULL,
    shipped_at  TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    UNIQUE (movement_id)
);
CREATE INDEX commerce_fulfilments_order ON commerce_fulfilments(order_id, id);


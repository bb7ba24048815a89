-- Dealer orders (veriseal_commerce.orders): the order with its three status axes
-- (status, payment_status cached from payments, fulfilment_status), its priced lines
-- (prices and discounts copied as plain values: they survive the rule's deletion), an
-- append-only event log, a message thread and the shipments that fulfil it.
-- Money: integer minor units of `currency`, never floats.
CREATE TABLE commerce_orders (
    id                 INTEGER PRIMARY KEY,
    brand_id           INTEGER NOT NULL REFERENCES brands(id),
    org_id             INTEGER NOT NULL,
    order_no           TEXT NOT NULL UNIQUE,
    status             TEXT NOT NULL,
    payment_status     TEXT NOT NULL,
    fulfilment_status  TEXT NOT NULL,
    currency           TEXT NOT NULL,
    total              INTEGER NOT NULL,
    paid               INTEGER NOT NULL DEFAULT 0,
    region             TEXT NOT NULL,
    address            TEXT NOT NULL,
    territory_check    TEXT NOT NULL,
    availability_check TEXT NOT NULL,
    pay_by             TEXT,
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX commerce_orders_brand ON commerce_orders(brand_id, status, id);
CREATE INDEX commerce_orders_org ON commerce_orders(org_id, id);

CREATE TABLE commerce_order_lines (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES commerce_orders(id),
    line_no     INTEGER NOT NULL,
    gtin        TEXT NOT NULL,
    name        TEXT NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    unit_price  INTEGER NOT NULL,
    price_note  TEXT NOT NULL,
    discounts   TEXT NOT NULL,
    gift        INTEGER NOT NULL DEFAULT 0,
    amount      INTEGER NOT NULL,
    shipped     INTEGER NOT NULL DEFAULT 0,
    delivered   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (order_id, line_no)
);

CREATE TABLE commerce_order_events (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES commerce_orders(id),
    seq         INTEGER NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL,
    data        TEXT NOT NULL,
    at          TEXT NOT NULL,
    UNIQUE (order_id, seq)
);

CREATE TABLE commerce_order_messages (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES commerce_orders(id),
    side        TEXT NOT NULL CHECK (side IN ('dealer', 'brand')),
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX commerce_order_messages_order ON commerce_order_messages(order_id, id);

CREATE TABLE commerce_fulfilments (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES commerce_orders(id),
    movement_id INTEGER NOT NULL,
    units       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('shipped', 'delivered')),
    actor       TEXT NOT NULL,
    shipped_at  TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (movement_id)
);
CREATE INDEX commerce_fulfilments_order ON commerce_fulfilments(order_id, id);


-- Payments: attempts to pay an order, and the append-only ledger of what happened to
-- them. Nothing is updated in place: an order's payment summary is computed from
-- commerce_payment_events. Money is integer minor units with its currency.

-- One attempt to pay an order through one provider ('offline', 'wechatpay', 'alipay').
-- out_trade_no is the merchant's number the provider knows it by (at most 32 chars).
CREATE TABLE commerce_payments (
    id            INTEGER PRIMARY KEY,
    brand_id      INTEGER NOT NULL REFERENCES brands(id),
    org_id        INTEGER NOT NULL,
    order_id      INTEGER NOT NULL,
    order_no      TEXT NOT NULL,
    provider      TEXT NOT NULL,
    out_trade_no  TEXT NOT NULL UNIQUE,
    amount        INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    actor         TEXT NOT NULL
);
CREATE INDEX commerce_payments_order ON commerce_payments(order_id, id);
CREATE INDEX commerce_payments_brand ON commerce_payments(brand_id, id);

-- Every payment state change. dedupe is the event's idempotency key: the same
-- notification, confirmation or refund request can be recorded only once.
CREATE TABLE commerce_payment_events (
    id          INTEGER PRIMARY KEY,
    payment_id  INTEGER NOT NULL REFERENCES commerce_payments(id),
    order_id    INTEGER NOT NULL,
    brand_id    INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    reference   TEXT NOT NULL,
    dedupe      TEXT NOT NULL UNIQUE,
    details     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX commerce_payment_events_order ON commerce_payment_events(order_id, id);
CREATE INDEX commerce_payment_events_payment ON commerce_payment_events(payment_id, id);

-- Transfer receipts uploaded by the payer: private documents, served no-store to the
-- payer's organisation and finance only.
CREATE TABLE commerce_payment_receipts (
    id            INTEGER PRIMARY KEY,
    payment_id    INTEGER NOT NULL REFERENCES commerce_payments(id),
    org_id        INTEGER NOT NULL,
    content_type  TEXT NOT NULL,
    filename      TEXT NOT NULL,
    data          BLOB NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX commerce_payment_receipts_payment ON commerce_payment_receipts(payment_id);

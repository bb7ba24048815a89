-- Returns and exchanges (veriseal_commerce.returns): a dealer's request against what an
-- order delivered, every unit named by its code; the brand's review; the units' way
-- back (received into quarantine, inspected, restocked / scrapped / sent back); the
-- refund or replacement. Requests change through an explicit state machine
-- (veriseal_commerce.returns_states) with an append-only event log.

-- Per-brand eligibility: the return window after delivery, products that cannot be
-- returned, products that may only come back unopened, and the reasons offered.
CREATE TABLE commerce_return_settings (
    brand_id      INTEGER PRIMARY KEY REFERENCES brands(id),
    window_days   INTEGER NOT NULL CHECK (window_days >= 0),
    no_return     TEXT NOT NULL,   -- JSON list of GTINs
    sealed_only   TEXT NOT NULL,   -- JSON list of GTINs returnable only unopened
    reasons       TEXT NOT NULL,   -- JSON list of {code, en, zh}
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE commerce_returns (
    id               INTEGER PRIMARY KEY,
    brand_id         INTEGER NOT NULL REFERENCES brands(id),
    org_id           INTEGER NOT NULL,
    order_id         INTEGER NOT NULL REFERENCES commerce_orders(id),
    return_no        TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL CHECK (kind IN ('return', 'exchange')),
    status           TEXT NOT NULL,
    reason           TEXT NOT NULL,
    detail           TEXT NOT NULL,
    refunded         INTEGER NOT NULL DEFAULT 0,
    replacement_no   TEXT,
    created_by       TEXT NOT NULL,
    client_id        TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (brand_id, created_by, client_id)
);
CREATE INDEX commerce_returns_brand ON commerce_returns(brand_id, status, id);
CREATE INDEX commerce_returns_order ON commerce_returns(order_id, id);
CREATE INDEX commerce_returns_org ON commerce_returns(org_id, id);

-- One line per product: asked, approved (NULL until reviewed), and what happened to
-- the units; unit_value is the refund value of one unit (the order's net price).
CREATE TABLE commerce_return_lines (
    id          INTEGER PRIMARY KEY,
    return_id   INTEGER NOT NULL REFERENCES commerce_returns(id),
    line_no     INTEGER NOT NULL,
    gtin        TEXT NOT NULL,
    name        TEXT NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    approved    INTEGER,
    opened      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (return_id, line_no)
);

-- Every unit of a request, by code. A unit comes back from an order at most once
-- (UNIQUE per order: a unit restocked and sold again on another order may come back
-- from that one). Declined and withdrawn units are deleted (the event log keeps them),
-- so they may be asked again.
CREATE TABLE commerce_return_units (
    id          INTEGER PRIMARY KEY,
    return_id   INTEGER NOT NULL REFERENCES commerce_returns(id),
    order_id    INTEGER NOT NULL,
    batch_id    INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    gtin        TEXT NOT NULL,
    code        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'received',
                    'restocked', 'rejected', 'scrapped', 'sent_back')),
    receipt_no  TEXT,
    UNIQUE (order_id, batch_id, idx)
);
CREATE INDEX commerce_return_units_return ON commerce_return_units(return_id, status);

CREATE TABLE commerce_return_events (
    id          INTEGER PRIMARY KEY,
    return_id   INTEGER NOT NULL REFERENCES commerce_returns(id),
    seq         INTEGER NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL,
    data        TEXT NOT NULL,
    at          TEXT NOT NULL,
    UNIQUE (return_id, seq)
);

CREATE TABLE commerce_return_messages (
    id          INTEGER PRIMARY KEY,
    return_id   INTEGER NOT NULL REFERENCES commerce_returns(id),
    side        TEXT NOT NULL CHECK (side IN ('dealer', 'brand')),
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX commerce_return_messages_return ON commerce_return_messages(return_id, id);

-- Photos of the goods: private, served no-store to the dealer's org and the brand only.
CREATE TABLE commerce_return_photos (
    id            INTEGER PRIMARY KEY,
    return_id     INTEGER NOT NULL REFERENCES commerce_returns(id),
    content_type  TEXT NOT NULL,
    filename      TEXT NOT NULL,
    data          BLOB NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX commerce_return_photos_return ON commerce_return_photos(return_id);

-- The brand receiving units back: a row per receive call, written before the other
-- plugins are asked (take-back, quarantine receipt) and marked done after, so a call
-- cut short is finished by its retry or by the resume task: nothing is lost.
CREATE TABLE commerce_return_receipts (
    id          INTEGER PRIMARY KEY,
    return_id   INTEGER NOT NULL REFERENCES commerce_returns(id),
    client_id   TEXT NOT NULL,
    units       TEXT NOT NULL,   -- JSON: batch id -> [[first, last], ...]
    codes       TEXT NOT NULL,   -- JSON list of the scanned codes
    warehouse   TEXT,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'done')),
    receipt_no  TEXT,
    actor       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (return_id, client_id)
);
CREATE INDEX commerce_return_receipts_pending ON commerce_return_receipts(status, id);

-- Refused units that suggest fraud (a fake code, a unit shipped to someone else, a
-- unit already returned): kept with the evidence, whatever became of the request.
CREATE TABLE commerce_return_alerts (
    id          INTEGER PRIMARY KEY,
    brand_id    INTEGER NOT NULL,
    org_id      INTEGER NOT NULL,
    order_id    INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    code        TEXT NOT NULL,
    evidence    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX commerce_return_alerts_brand ON commerce_return_alerts(brand_id, id);

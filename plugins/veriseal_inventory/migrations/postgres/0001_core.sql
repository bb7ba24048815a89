-- The stock ledger (veriseal_inventory.ledger): warehouses and their locations, posts
-- (one document's change of stock, idempotent by client id) and their movements (the
-- truth, append-only), and two caches kept in the same transaction: balances per
-- (warehouse, location, product, lot) and levels per (warehouse, product).
-- Reservations hold sellable stock for a reference (an order number) until they expire.
CREATE TABLE inventory_warehouses (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL,
    org_id      BIGINT NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    address     TEXT NOT NULL DEFAULT '',
    is_default  INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (brand_id, code)
);
CREATE UNIQUE INDEX inventory_warehouses_default
    ON inventory_warehouses(brand_id, org_id) WHERE is_default = 1;
CREATE INDEX inventory_warehouses_org ON inventory_warehouses(org_id);

CREATE TABLE inventory_locations (
    id           BIGSERIAL PRIMARY KEY,
    warehouse_id BIGINT NOT NULL REFERENCES inventory_warehouses(id),
    code         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('stock', 'quarantine', 'rejected')),
    UNIQUE (warehouse_id, code)
);

CREATE TABLE inventory_posts (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    document    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    client_id   TEXT,
    UNIQUE (brand_id, client_id)
);
CREATE INDEX inventory_posts_document ON inventory_posts(brand_id, document);

CREATE TABLE inventory_movements (
    id           BIGSERIAL PRIMARY KEY,
    post_id      BIGINT NOT NULL REFERENCES inventory_posts(id),
    brand_id     BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    warehouse_id BIGINT NOT NULL,
    location_id  BIGINT NOT NULL,
    gtin         TEXT NOT NULL,
    lot          TEXT NOT NULL,
    quantity     BIGINT NOT NULL,
    reserved     BIGINT NOT NULL,
    at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX inventory_movements_key
    ON inventory_movements(warehouse_id, location_id, gtin, lot, at);
CREATE INDEX inventory_movements_product ON inventory_movements(brand_id, gtin, at);
CREATE INDEX inventory_movements_post ON inventory_movements(post_id);

CREATE TABLE inventory_balances (
    warehouse_id BIGINT NOT NULL,
    location_id  BIGINT NOT NULL,
    gtin         TEXT NOT NULL,
    lot          TEXT NOT NULL,
    brand_id     BIGINT NOT NULL,
    on_hand      BIGINT NOT NULL DEFAULT 0,
    reserved     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (warehouse_id, location_id, gtin, lot)
);

CREATE TABLE inventory_levels (
    warehouse_id BIGINT NOT NULL,
    gtin         TEXT NOT NULL,
    brand_id     BIGINT NOT NULL,
    sellable     BIGINT NOT NULL DEFAULT 0,
    reserved     BIGINT NOT NULL DEFAULT 0,
    quarantine   BIGINT NOT NULL DEFAULT 0,
    rejected     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (warehouse_id, gtin)
);
CREATE INDEX inventory_levels_product ON inventory_levels(brand_id, gtin);

CREATE TABLE inventory_reservations (
    id           BIGSERIAL PRIMARY KEY,
    brand_id     BIGINT NOT NULL,
    reference    TEXT NOT NULL,
    warehouse_id BIGINT NOT NULL,
    gtin         TEXT NOT NULL,
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    remaining    BIGINT NOT NULL CHECK (remaining >= 0),
    status       TEXT NOT NULL CHECK (status IN ('held', 'released', 'consumed', 'expired')),
    expires_at   TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX inventory_reservations_reference ON inventory_reservations(brand_id, reference);
CREATE INDEX inventory_reservations_expiry ON inventory_reservations(status, expires_at);

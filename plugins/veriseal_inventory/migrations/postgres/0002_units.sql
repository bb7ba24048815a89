-- Code-tracked stock (veriseal_inventory.units): which printed units are in stock where,
-- as inclusive ranges of consecutive indexes of a batch (a pallet of consecutive items is
-- one row). A unit is in stock in at most one place: ranges of a batch are disjoint
-- across every warehouse (checked under a per-batch lock before any row is written).
CREATE TABLE inventory_units (
    brand_id     BIGINT NOT NULL,
    batch_id     BIGINT NOT NULL,
    first_index  BIGINT NOT NULL,
    last_index   BIGINT NOT NULL,
    gtin         TEXT NOT NULL,
    lot          TEXT NOT NULL,
    warehouse_id BIGINT NOT NULL REFERENCES inventory_warehouses(id),
    location_id  BIGINT NOT NULL REFERENCES inventory_locations(id),
    CHECK (first_index <= last_index)
);
-- overlap lookups: the rows of a batch starting within a span, and the one before it
CREATE UNIQUE INDEX inventory_units_range ON inventory_units(brand_id, batch_id, first_index);
CREATE INDEX inventory_units_place ON inventory_units(warehouse_id, location_id, gtin);

-- Codes that cannot be where they were scanned: a unit received while in stock elsewhere
-- (duplicate_code: a copied label?), units shipped that were never in the shipper's
-- stock (untracked_outbound). One row per range; evidence says who scanned what, when.
CREATE TABLE inventory_code_alerts (
    id                BIGSERIAL PRIMARY KEY,
    brand_id          BIGINT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('duplicate_code', 'untracked_outbound')),
    batch_id          BIGINT NOT NULL,
    first_index       BIGINT NOT NULL,
    last_index        BIGINT NOT NULL,
    warehouse_id      BIGINT,
    held_warehouse_id BIGINT,
    document          TEXT NOT NULL,
    evidence          TEXT NOT NULL,
    at                TIMESTAMPTZ NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('open', 'closed'))
);
CREATE INDEX inventory_code_alerts_brand ON inventory_code_alerts(brand_id, status, id);

-- Requests applied once: a scanned receipt or issue under a client id, or a stream
-- event, with the movements it posted (a retry or a redelivery replays them).
CREATE TABLE inventory_unit_requests (
    brand_id     BIGINT NOT NULL,
    request_key  TEXT NOT NULL,
    movement_ids TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (brand_id, request_key)
);

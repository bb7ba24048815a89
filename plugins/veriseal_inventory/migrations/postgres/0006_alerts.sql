-- Safety-stock settings and low-stock alerts (veriseal_inventory.alerts_store).
-- A setting of a product for one warehouse, or (warehouse_id NULL) the brand's default
-- for every warehouse of the brand; a warehouse's own row overrides the default.
CREATE TABLE inventory_settings (
    id              BIGSERIAL PRIMARY KEY,
    brand_id        BIGINT NOT NULL REFERENCES brands(id),
    warehouse_id    BIGINT REFERENCES inventory_warehouses(id),
    gtin            TEXT NOT NULL,
    safety_stock    BIGINT NOT NULL CHECK (safety_stock >= 0),
    reorder_point   BIGINT NOT NULL CHECK (reorder_point >= 0),
    reorder_qty     BIGINT NOT NULL CHECK (reorder_qty >= 0),
    lead_time_days  INTEGER NOT NULL CHECK (lead_time_days >= 0),
    review_days     INTEGER NOT NULL CHECK (review_days >= 0),
    pack_size       BIGINT NOT NULL CHECK (pack_size >= 1),
    updated_at      TIMESTAMPTZ NOT NULL,
    updated_by      TEXT NOT NULL
);
-- one row per (brand, product) default and per (warehouse, product): NULL is not equal
-- to NULL in a plain UNIQUE, hence two partial indexes
CREATE UNIQUE INDEX inventory_settings_default ON inventory_settings(brand_id, gtin)
    WHERE warehouse_id IS NULL;
CREATE UNIQUE INDEX inventory_settings_warehouse ON inventory_settings(warehouse_id, gtin)
    WHERE warehouse_id IS NOT NULL;
-- A low-stock alert: opened when the available level fell below the safety stock,
-- closed when it was back at the closing line; at most one open per (warehouse, gtin).
-- The movement's transaction writes the row; the notices go out after the commit.
CREATE TABLE inventory_low_stock (
    id              BIGSERIAL PRIMARY KEY,
    brand_id        BIGINT NOT NULL REFERENCES brands(id),
    warehouse_id    BIGINT NOT NULL REFERENCES inventory_warehouses(id),
    gtin            TEXT NOT NULL,
    safety_stock    BIGINT NOT NULL,
    close_at        BIGINT NOT NULL,
    opened_at       TIMESTAMPTZ NOT NULL,
    opened_level    BIGINT NOT NULL,
    closed_at       TIMESTAMPTZ,
    closed_level    BIGINT,
    -- when the opening / closing notice went out (the sender, after the commit)
    open_notified   TIMESTAMPTZ,
    close_notified  TIMESTAMPTZ
);
CREATE UNIQUE INDEX inventory_low_stock_open ON inventory_low_stock(warehouse_id, gtin)
    WHERE closed_at IS NULL;
CREATE INDEX inventory_low_stock_brand ON inventory_low_stock(brand_id, opened_at);
CREATE INDEX inventory_low_stock_unsent ON inventory_low_stock(id)
    WHERE open_notified IS NULL OR (closed_at IS NOT NULL AND close_notified IS NULL);

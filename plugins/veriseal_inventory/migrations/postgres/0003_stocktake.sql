-- Stocktakes (veriseal_inventory.stocktake): a count of a warehouse (or some of its
-- locations / products) with expected quantities frozen from the balances at its start,
-- counted lines (by quantity, or by scanned codes, one row per unit), and an adjustment
-- posted to the movement ledger only when a second person approves it.
CREATE TABLE inventory_stocktakes (
    id             BIGSERIAL PRIMARY KEY,
    brand_id       BIGINT NOT NULL,
    warehouse_id   BIGINT NOT NULL REFERENCES inventory_warehouses(id),
    mode           TEXT NOT NULL CHECK (mode IN ('system', 'physical')),
    blind          INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL CHECK (status IN ('open', 'counting', 'submitted',
                   'approved', 'rejected', 'closed', 'cancelled')),
    locations      TEXT NOT NULL DEFAULT '[]',   -- JSON location ids; [] = every location
    gtins          TEXT NOT NULL DEFAULT '[]',   -- JSON GTINs; [] = every product
    watermark      BIGINT NOT NULL,             -- the last movement id at the freeze
    unit_costs     TEXT NOT NULL DEFAULT '{}',   -- JSON GTIN -> fen, given on submit
    opened_by      TEXT NOT NULL,                -- actor: "user:N" or "system"
    opened_at      TIMESTAMPTZ NOT NULL,
    submitted_by   TEXT,
    submitted_at   TIMESTAMPTZ,
    reason         TEXT NOT NULL DEFAULT '',     -- the proposer's reason for the variance
    decided_by     TEXT,
    decided_at     TIMESTAMPTZ,
    decision_note  TEXT NOT NULL DEFAULT '',     -- the approver's note or rejection reason
    movements      INTEGER NOT NULL DEFAULT 0    -- adjustment movements posted on approval
);
-- one active count per warehouse: two counts of the same shelf would adjust it twice
CREATE UNIQUE INDEX inventory_stocktakes_active ON inventory_stocktakes(warehouse_id)
    WHERE status IN ('open', 'counting', 'submitted', 'rejected');
CREATE INDEX inventory_stocktakes_brand ON inventory_stocktakes(brand_id, id);

CREATE TABLE inventory_stocktake_lines (
    stocktake_id      BIGINT NOT NULL REFERENCES inventory_stocktakes(id),
    location_id       BIGINT NOT NULL,
    gtin              TEXT NOT NULL,
    lot               TEXT NOT NULL,
    frozen            BIGINT NOT NULL,     -- expected on hand at the start (0: not there)
    counted           BIGINT,              -- NULL: not counted (never adjusted)
    expected_at_count BIGINT,              -- the ledger's on hand when counted
    source            TEXT,                 -- 'quantity' or 'codes'
    counted_by        TEXT,
    counted_at        TIMESTAMPTZ,
    PRIMARY KEY (stocktake_id, location_id, gtin, lot)
);

CREATE TABLE inventory_stocktake_codes (
    stocktake_id BIGINT NOT NULL REFERENCES inventory_stocktakes(id),
    batch_id     BIGINT NOT NULL,
    idx          BIGINT NOT NULL,
    location_id  BIGINT NOT NULL,
    gtin         TEXT NOT NULL,
    lot          TEXT NOT NULL,
    PRIMARY KEY (stocktake_id, batch_id, idx)
);
CREATE INDEX inventory_stocktake_codes_line
    ON inventory_stocktake_codes(stocktake_id, location_id, gtin, lot);

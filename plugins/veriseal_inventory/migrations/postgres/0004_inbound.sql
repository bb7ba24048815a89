-- Inbound receipts (入库单) and their inspection (veriseal_inventory.inbound): goods
-- arrive into the warehouse's quarantine location; each line is then inspected (ISO
-- 2859-1 single sampling, normal inspection) or, when its product needs no inspection,
-- released; accepted goods move to stock, rejected ones to the rejected location.
-- Per product: whether inspection is required before sale, and the default AQL / level.
CREATE TABLE inventory_inspection_settings (
    brand_id    BIGINT NOT NULL,
    gtin        TEXT NOT NULL,
    required    INTEGER NOT NULL DEFAULT 0,
    aql         TEXT NOT NULL,
    level       TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (brand_id, gtin)
);

CREATE TABLE inventory_receipts (
    id           BIGSERIAL PRIMARY KEY,
    brand_id     BIGINT NOT NULL,
    warehouse_id BIGINT NOT NULL REFERENCES inventory_warehouses(id),
    receipt_no   TEXT NOT NULL,
    supplier     TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('open', 'done')),
    actor        TEXT NOT NULL,
    client_id    TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (brand_id, receipt_no),
    UNIQUE (brand_id, client_id)
);
CREATE INDEX inventory_receipts_warehouse ON inventory_receipts(warehouse_id, id);
CREATE INDEX inventory_receipts_status ON inventory_receipts(brand_id, status, id);

CREATE TABLE inventory_receipt_lines (
    id          BIGSERIAL PRIMARY KEY,
    receipt_id  BIGINT NOT NULL REFERENCES inventory_receipts(id),
    line_no     INTEGER NOT NULL,
    gtin        TEXT NOT NULL,
    lot         TEXT NOT NULL,
    quantity    BIGINT NOT NULL CHECK (quantity > 0),
    required    INTEGER NOT NULL,
    status      TEXT NOT NULL
        CHECK (status IN ('awaiting', 'accepted', 'rejected', 'partial', 'released')),
    UNIQUE (receipt_id, line_no)
);

-- One decision per line (the unique line_id makes a second decision a no-op refusal).
CREATE TABLE inventory_inspections (
    id           BIGSERIAL PRIMARY KEY,
    receipt_id   BIGINT NOT NULL REFERENCES inventory_receipts(id),
    line_id      BIGINT NOT NULL UNIQUE REFERENCES inventory_receipt_lines(id),
    decision     TEXT NOT NULL
        CHECK (decision IN ('accept_all', 'reject_all', 'accept_part', 'release')),
    aql          TEXT,
    level        TEXT,
    code_letter  TEXT,
    sample_size  BIGINT,
    accept_no    INTEGER,
    reject_no    INTEGER,
    defects      BIGINT,
    outcome      TEXT,
    accepted     BIGINT NOT NULL CHECK (accepted >= 0),
    rejected     BIGINT NOT NULL CHECK (rejected >= 0),
    reason       TEXT NOT NULL DEFAULT '',
    actor        TEXT NOT NULL,
    decided_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX inventory_inspections_receipt ON inventory_inspections(receipt_id);

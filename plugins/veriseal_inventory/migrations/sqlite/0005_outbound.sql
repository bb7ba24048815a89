-- Outbound sheets (出库单, veriseal_inventory.outbound): a sheet is created with its
-- lines (picking), issued (its picks posted as one outbound of the ledger, document = the
-- sheet's number) or cancelled; the consignee organisation's check-in is recorded on it.
CREATE TABLE inventory_outbound_sheets (
    id                    INTEGER PRIMARY KEY,
    brand_id              INTEGER NOT NULL,
    number                TEXT NOT NULL,
    warehouse_id          INTEGER NOT NULL REFERENCES inventory_warehouses(id),
    consignee_org_id      INTEGER,
    consignee_name        TEXT NOT NULL,
    consignee_address     TEXT NOT NULL DEFAULT '',
    consignee_contact     TEXT NOT NULL DEFAULT '',
    note                  TEXT NOT NULL DEFAULT '',
    status                TEXT NOT NULL CHECK (status IN ('picking', 'issued', 'cancelled')),
    created_by            TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    handler               TEXT NOT NULL DEFAULT '',
    issued_by             TEXT,
    issued_at             TEXT,
    cancel_reason         TEXT NOT NULL DEFAULT '',
    received_by           TEXT,
    received_at           TEXT,
    received_warehouse_id INTEGER,
    UNIQUE (brand_id, number)
);
CREATE INDEX inventory_outbound_warehouse ON inventory_outbound_sheets(warehouse_id, id);
CREATE INDEX inventory_outbound_consignee ON inventory_outbound_sheets(consignee_org_id, id);

CREATE TABLE inventory_outbound_lines (
    sheet_id  INTEGER NOT NULL REFERENCES inventory_outbound_sheets(id),
    line_no   INTEGER NOT NULL,
    gtin      TEXT NOT NULL,
    lot       TEXT NOT NULL DEFAULT '',
    quantity  INTEGER NOT NULL CHECK (quantity > 0),
    codes     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (sheet_id, line_no)
);

-- What issuing took for each line: location and lot (the picking list as carried out).
CREATE TABLE inventory_outbound_picks (
    sheet_id    INTEGER NOT NULL REFERENCES inventory_outbound_sheets(id),
    line_no     INTEGER NOT NULL,
    location_id INTEGER NOT NULL,
    gtin        TEXT NOT NULL,
    lot         TEXT NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (sheet_id, line_no, location_id, lot)
);

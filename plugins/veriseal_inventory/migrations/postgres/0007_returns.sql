-- Returned goods (veriseal_inventory.returns): a receipt's reference (the return number,
-- a delivery note) and its kind; the units a return receipt put in quarantine, by line,
-- and the decisions taken on them (a line may be decided in several calls, unit by unit).
ALTER TABLE inventory_receipts ADD COLUMN reference TEXT NOT NULL DEFAULT '';
ALTER TABLE inventory_receipts ADD COLUMN kind TEXT NOT NULL DEFAULT 'inbound'
    CHECK (kind IN ('inbound', 'return'));

-- The units a return receipt received (never changed afterwards).
CREATE TABLE inventory_return_units (
    id           BIGSERIAL PRIMARY KEY,
    receipt_id   BIGINT NOT NULL REFERENCES inventory_receipts(id),
    line_id      BIGINT NOT NULL REFERENCES inventory_receipt_lines(id),
    batch_id     BIGINT NOT NULL,
    first_index  BIGINT NOT NULL,
    last_index   BIGINT NOT NULL CHECK (last_index >= first_index)
);
CREATE INDEX inventory_return_units_receipt ON inventory_return_units(receipt_id);

-- One row per line and decide_return call: the units accepted (to stock) and rejected
-- (to the rejected location), in compact text (unit_ranges.to_text).
CREATE TABLE inventory_return_decisions (
    id              BIGSERIAL PRIMARY KEY,
    receipt_id      BIGINT NOT NULL REFERENCES inventory_receipts(id),
    line_id         BIGINT NOT NULL REFERENCES inventory_receipt_lines(id),
    accepted        BIGINT NOT NULL CHECK (accepted >= 0),
    rejected        BIGINT NOT NULL CHECK (rejected >= 0),
    accepted_units  TEXT NOT NULL,
    rejected_units  TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    actor           TEXT NOT NULL,
    decided_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX inventory_return_decisions_receipt ON inventory_return_decisions(receipt_id);

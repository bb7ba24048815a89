-- The scan ledger: every scan appended, never updated. Per-code figures (count, first
-- and last scan) are derived from these rows by queries on scans_code.
CREATE TABLE scans (
    id              BIGSERIAL PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL,
    brand_id        BIGINT REFERENCES brands(id),
    code            TEXT NOT NULL,
    gtin            TEXT,
    batch_id        BIGINT REFERENCES batches(id),
    unit_index      INTEGER,
    outcome         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    channel         TEXT NOT NULL,
    actor           TEXT NOT NULL,
    lat             DOUBLE PRECISION,
    lon             DOUBLE PRECISION,
    accuracy_m      DOUBLE PRECISION,
    loc_source      TEXT,
    client_scan_id  TEXT
);
CREATE INDEX scans_code ON scans(brand_id, code, id);
CREATE INDEX scans_batch ON scans(batch_id, id);
CREATE INDEX scans_at ON scans(brand_id, at);
-- a handheld's retried upload carries the same client id: stored once per actor
CREATE UNIQUE INDEX scans_client_id ON scans(actor, client_scan_id)
    WHERE client_scan_id IS NOT NULL;

-- Per-code aggregates of the scan ledger: how often a code was verified (outcome
-- genuine or suspected_clone) and which scans were its first and last. Derived state:
-- written only by append_scans, in the same transaction as the scans it counts, so it
-- never disagrees with them; scan_summary reads it with three primary-key lookups
-- instead of counting a code's rows (which grows with every scan of a hot code).
CREATE TABLE scan_codes (
    brand_id  INTEGER NOT NULL,
    code      TEXT NOT NULL,
    n         INTEGER NOT NULL,
    first_id  INTEGER NOT NULL,
    last_id   INTEGER NOT NULL,
    PRIMARY KEY (brand_id, code)
);
-- rebuild from the facts already stored
INSERT INTO scan_codes (brand_id, code, n, first_id, last_id)
    SELECT brand_id, code, COUNT(*), MIN(id), MAX(id) FROM scans
    WHERE brand_id IS NOT NULL AND outcome IN ('genuine', 'suspected_clone')
    GROUP BY brand_id, code;

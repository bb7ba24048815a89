-- Scan analytics (veriseal_analytics.scan_store): the scan rollups the dashboards read
-- (analytics_scan_cube: one row per cube, local day and key), one row per scanned unit
-- to tell a code's first scan from a repeat (analytics_scanned_codes: bounded by the
-- units ever scanned, not by the scans), the shipped ranges the first-scan delay is
-- measured from (analytics_shipped), the delay histogram (analytics_scan_delay) and the
-- stream positions each consumer has booked (analytics_marks: redelivery books nothing)
-- and per brand the scans booked and recounted (analytics_scan_brands).
-- Days are the brand's local days as 'YYYY-MM-DD'; instants are epoch seconds (UTC).
CREATE TABLE analytics_scan_cube (
    brand_id    INTEGER NOT NULL,
    cube        TEXT NOT NULL,       -- all | hour | province | city | product | outcome
    day         TEXT NOT NULL,
    key         TEXT NOT NULL,       -- '' (all), '00'..'23', ISO 3166-2, GB/T 2260, GTIN, outcome
    scans       INTEGER NOT NULL DEFAULT 0,
    genuine     INTEGER NOT NULL DEFAULT 0,   -- genuine, pin_required
    clone       INTEGER NOT NULL DEFAULT 0,   -- suspected_clone
    withdrawn   INTEGER NOT NULL DEFAULT 0,   -- recalled, expired, not_activated, decommissioned, key_revoked
    invalid     INTEGER NOT NULL DEFAULT 0,   -- invalid, pin_wrong
    other       INTEGER NOT NULL DEFAULT 0,   -- anything else (needs_online_check, new outcomes)
    repeats     INTEGER NOT NULL DEFAULT 0,   -- scans of a unit scanned before
    first_scans INTEGER NOT NULL DEFAULT 0,   -- a unit's first scan
    PRIMARY KEY (brand_id, cube, day, key)
);

CREATE TABLE analytics_scanned_codes (
    brand_id    INTEGER NOT NULL,
    batch_id    INTEGER NOT NULL,
    idx         INTEGER NOT NULL,    -- the unit's index in its batch
    gtin        TEXT NOT NULL,
    first_id    INTEGER NOT NULL,    -- the first booked scan
    first_at    INTEGER NOT NULL,    -- epoch seconds of that scan
    first_day   TEXT NOT NULL,
    delay_days  INTEGER,             -- days since shipped (NULL: no shipment known yet)
    PRIMARY KEY (brand_id, batch_id, idx)
);

CREATE TABLE analytics_shipped (
    brand_id    INTEGER NOT NULL,
    movement_id INTEGER NOT NULL,
    batch_id    INTEGER NOT NULL,
    first_idx   INTEGER NOT NULL,
    last_idx    INTEGER NOT NULL,
    at          INTEGER NOT NULL,    -- epoch seconds of the shipment
    to_org      INTEGER,
    PRIMARY KEY (movement_id, batch_id, first_idx)
);
CREATE INDEX analytics_shipped_unit ON analytics_shipped(brand_id, batch_id, first_idx);

CREATE TABLE analytics_scan_delay (
    brand_id    INTEGER NOT NULL,
    day         TEXT NOT NULL,       -- the first scan's local day
    gtin        TEXT NOT NULL,
    days        INTEGER NOT NULL,    -- whole days from shipment to first scan
    n           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (brand_id, day, gtin, days)
);

CREATE TABLE analytics_marks (
    consumer    TEXT PRIMARY KEY,
    position    INTEGER NOT NULL     -- the highest stream position booked
);

CREATE TABLE analytics_scan_brands (
    brand_id    INTEGER PRIMARY KEY,
    booked_id   INTEGER NOT NULL DEFAULT 0,  -- the highest scan id booked (what a check recounts)
    through_id  INTEGER NOT NULL DEFAULT 0   -- a repair recounted scans up to this id: skip them
);

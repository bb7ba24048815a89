-- The brand console (veriseal.brandops): the scan dashboard's daily rollup, the core
-- alerts' workflow, print runs started from the console, and scan indexes for its lists.
-- Dialect: sqlite. Timestamps are ISO-8601 text in UTC.

-- Scans per brand, day, outcome and province: what the dashboard reads instead of the
-- scan rows. DERIVED state, written by the event-stream consumer veriseal.dashboard in
-- the transaction that moves its cursor (so a scan is counted exactly once) and rebuilt
-- from the scans by `veriseal dashboard rebuild`. `day` is the day number (days since
-- 1970-01-01) in China Standard Time (UTC+8, no daylight saving); `province` is the
-- scan's province as stored (ISO 3166-2, see veriseal.models.Region), '' without one.
-- Scans no brand could be named for (fakes) are not counted.
CREATE TABLE scan_daily (
    brand_id  INTEGER NOT NULL,
    day       INTEGER NOT NULL,
    outcome   TEXT NOT NULL,
    province  TEXT NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (brand_id, day, outcome, province)
);
-- built from the scans already stored; the consumer then starts at the stream's head
INSERT INTO scan_daily (brand_id, day, outcome, province, n)
    SELECT brand_id, (CAST(strftime('%s', at) AS INTEGER) + 28800) / 86400, outcome,
           COALESCE(province, ''), COUNT(*)
    FROM scans WHERE brand_id IS NOT NULL
    GROUP BY brand_id, (CAST(strftime('%s', at) AS INTEGER) + 28800) / 86400, outcome,
             COALESCE(province, '');
INSERT INTO stream_cursors (consumer, position, updated_at)
    SELECT 'veriseal.dashboard', COALESCE(MAX(position), 0),
           strftime('%Y-%m-%dT%H:%M:%f', 'now') || '+00:00'
    FROM stream_events;

-- The workflow of the core's alerts (clone, impossible travel, flood, ...): open ->
-- investigating -> confirmed | dismissed, dismissed -> investigating (reopened).
-- Append-only: an alert's state is its newest event's (an alert without events is open).
CREATE TABLE alert_events (
    id        INTEGER PRIMARY KEY,
    alert_id  INTEGER NOT NULL REFERENCES alerts(id),
    brand_id  INTEGER REFERENCES brands(id),  -- the alert's (NULL: a platform alert)
    state     TEXT NOT NULL,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    note      TEXT NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events(alert_id, id);
-- Each alert's newest event, for lists filtered by state and the open count. DERIVED:
-- written only in the transaction that appends the event it names, so it always equals
-- the newest row of alert_events.
CREATE TABLE alert_states (
    alert_id    INTEGER PRIMARY KEY REFERENCES alerts(id),
    brand_id    INTEGER,
    state       TEXT NOT NULL,
    event_id    INTEGER NOT NULL,
    changed_at  TEXT NOT NULL
);
CREATE INDEX alert_states_brand ON alert_states(brand_id, state, alert_id);

-- Print runs started from the console: labels rendered in the background into the print
-- spool, downloadable when done. Operational state (a progress bar), updated in place
-- while the run renders; the FACT is the print_jobs row a finished run records.
CREATE TABLE print_runs (
    id            INTEGER PRIMARY KEY,
    brand_id      INTEGER NOT NULL REFERENCES brands(id),
    batch_id      INTEGER NOT NULL REFERENCES batches(id),
    first_index   INTEGER NOT NULL,
    last_index    INTEGER NOT NULL,
    template      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    line          TEXT NOT NULL,
    operator      TEXT NOT NULL,
    reprint       INTEGER NOT NULL,
    state         TEXT NOT NULL,
    done          INTEGER NOT NULL,
    file_name     TEXT NOT NULL,
    size_bytes    INTEGER,
    print_job_id  INTEGER REFERENCES print_jobs(id),
    error         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CHECK (first_index >= 0 AND last_index >= first_index)
);
CREATE INDEX print_runs_batch ON print_runs(batch_id, id);

-- A brand's scans in id order (the JSON API's pages): without it a page sorted every
-- scan of the brand. The console's list goes newest first by when scans happened
-- (scans_at, and these two for its verdict and province filters, walked backwards).
CREATE INDEX scans_brand ON scans(brand_id, id);
CREATE INDEX scans_brand_outcome ON scans(brand_id, outcome, at);
CREATE INDEX scans_brand_province ON scans(brand_id, province, at);

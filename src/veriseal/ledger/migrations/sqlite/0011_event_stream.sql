-- The durable event stream: every fact consumers react to (a scan recorded, an alert
-- raised, a lifecycle event appended, a plugin's own event) gets a POSITION, appended in
-- the same transaction as the fact it announces. Consumers read it in position order,
-- each keeping its cursor in stream_cursors, committed with the consumer's effects.
-- Dialect: sqlite. SQLite has one writer, so positions (INTEGER PRIMARY KEY, max + 1)
-- are handed out in commit order: a reader after position p never misses a later commit.
CREATE TABLE stream_events (
    position  INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,
    brand_id  INTEGER,
    ref       INTEGER NOT NULL,
    payload   TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX stream_events_kind ON stream_events(kind, position);

-- One row per consumer: the position up to which its effects are committed.
CREATE TABLE stream_cursors (
    consumer    TEXT PRIMARY KEY,
    position    INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Events a consumer failed on too often (poison): skipped by it, kept with the last
-- error until retried (resolved_at set when a retry succeeded).
CREATE TABLE stream_parked (
    consumer     TEXT NOT NULL,
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    error        TEXT NOT NULL,
    tries        INTEGER NOT NULL,
    parked_at    TEXT NOT NULL,
    resolved_at  TEXT,
    PRIMARY KEY (consumer, position)
);

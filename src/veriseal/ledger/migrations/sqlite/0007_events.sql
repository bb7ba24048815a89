-- Factory-line lifecycle: the EPCIS-style event ledger (activation, decommission,
-- packing, unpacking), activation rules, current containment and SSCC allocations.
-- Dialect: sqlite. Timestamps are ISO-8601 text in UTC.
-- events, event_ranges and event_units are append-only (ARCHITECTURE.md rule 7). Units
-- are named by RANGES of consecutive indexes of a batch: one row per range, never one
-- row per code. packed_ranges / packed_units are the derived "what is inside what now",
-- written in the same transaction as the pack/unpack event they follow from.
CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    brand_id      INTEGER NOT NULL REFERENCES brands(id),
    event_type    TEXT NOT NULL CHECK (event_type IN ('ObjectEvent', 'AggregationEvent')),
    action        TEXT NOT NULL CHECK (action IN ('ADD', 'OBSERVE', 'DELETE')),
    biz_step      TEXT NOT NULL,
    disposition   TEXT,
    event_time    TEXT NOT NULL,
    tz_offset     TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    read_point    TEXT,
    biz_location  TEXT,
    parent        TEXT,
    reason        TEXT,
    actor         TEXT NOT NULL,
    unit_count    INTEGER NOT NULL
);
CREATE INDEX events_brand ON events(brand_id, id);
CREATE INDEX events_parent ON events(brand_id, parent, id);

-- state: 'active' / 'decommissioned' for events that change the units' state, NULL for
-- packing and unpacking (so the verifier's lookup skips aggregation ranges).
CREATE TABLE event_ranges (
    id           INTEGER PRIMARY KEY,
    event_id     INTEGER NOT NULL REFERENCES events(id),
    batch_id     INTEGER NOT NULL REFERENCES batches(id),
    first_index  INTEGER NOT NULL,
    last_index   INTEGER NOT NULL,
    state        TEXT CHECK (state IN ('active', 'decommissioned')),
    CHECK (first_index >= 0 AND first_index <= last_index)
);
CREATE INDEX event_ranges_event ON event_ranges(event_id, id);
CREATE INDEX event_ranges_state ON event_ranges(batch_id, id) WHERE state IS NOT NULL;

-- logistic units (SSCC) an event names as its children
CREATE TABLE event_units (
    event_id  INTEGER NOT NULL REFERENCES events(id),
    sscc      TEXT NOT NULL,
    PRIMARY KEY (event_id, sscc)
);

-- Whether a batch's codes must be activated before they verify as genuine. The newest
-- row for a batch wins; else the newest brand-wide row (batch_id NULL) set before the
-- batch was created; else no (the behaviour of batches before activation existed).
CREATE TABLE activation_rules (
    id        INTEGER PRIMARY KEY,
    brand_id  INTEGER NOT NULL REFERENCES brands(id),
    batch_id  INTEGER REFERENCES batches(id),
    required  INTEGER NOT NULL CHECK (required IN (0, 1)),
    set_at    TEXT NOT NULL
);
CREATE INDEX activation_rules_scope ON activation_rules(brand_id, batch_id, id);

-- Current containment (derived). Ranges of one batch are disjoint: an item is in at
-- most one parent at a time, which the lookup on (batch_id, first_index) checks.
CREATE TABLE packed_ranges (
    id           INTEGER PRIMARY KEY,
    brand_id     INTEGER NOT NULL REFERENCES brands(id),
    batch_id     INTEGER NOT NULL REFERENCES batches(id),
    first_index  INTEGER NOT NULL,
    last_index   INTEGER NOT NULL,
    parent       TEXT NOT NULL,
    event_id     INTEGER NOT NULL REFERENCES events(id)
);
CREATE INDEX packed_ranges_lookup ON packed_ranges(batch_id, first_index);
CREATE INDEX packed_ranges_parent ON packed_ranges(brand_id, parent);

CREATE TABLE packed_units (
    brand_id  INTEGER NOT NULL REFERENCES brands(id),
    child     TEXT NOT NULL,
    parent    TEXT NOT NULL,
    event_id  INTEGER NOT NULL REFERENCES events(id),
    PRIMARY KEY (brand_id, child)
);
CREATE INDEX packed_units_parent ON packed_units(brand_id, parent);

-- SSCC serial references handed out: one row per mint run (a range).
CREATE TABLE sscc_allocations (
    id              INTEGER PRIMARY KEY,
    brand_id        INTEGER NOT NULL REFERENCES brands(id),
    extension       INTEGER NOT NULL CHECK (extension BETWEEN 0 AND 9),
    company_prefix  TEXT NOT NULL,
    first_serial    INTEGER NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    at              TEXT NOT NULL
);
CREATE INDEX sscc_allocations_scope ON sscc_allocations(extension, company_prefix, id);

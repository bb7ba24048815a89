-- The logistics plugin (veriseal_logistics.store): waybills of shipments, their carrier
-- events (the timeline, idempotent by key), the history samples the ETAs and the stall
-- rule learn from, alerts, and each brand's settings.
CREATE TABLE logistics_waybills (
    id              INTEGER PRIMARY KEY,
    brand_id        INTEGER NOT NULL REFERENCES brands(id),
    carrier         TEXT NOT NULL,
    tracking_no     TEXT NOT NULL,
    reference       TEXT NOT NULL DEFAULT '',
    movement_id     INTEGER,
    from_org        INTEGER,
    to_org          INTEGER,
    origin          TEXT NOT NULL,          -- JSON Place
    destination     TEXT NOT NULL,          -- JSON Place
    waypoints       TEXT NOT NULL DEFAULT '[]',
    lane            TEXT NOT NULL,
    promised_at     TEXT,
    status          TEXT NOT NULL,
    last_event_at   TEXT,
    picked_up_at    TEXT,
    delivered_at    TEXT,
    delivered_place TEXT,                   -- JSON Place
    eta             TEXT,                   -- JSON Eta
    next_poll_at    TEXT,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    UNIQUE (brand_id, carrier, tracking_no)
);
CREATE INDEX logistics_waybills_status ON logistics_waybills(brand_id, status);
CREATE INDEX logistics_waybills_reference ON logistics_waybills(brand_id, reference);
CREATE INDEX logistics_waybills_movement ON logistics_waybills(movement_id);
CREATE INDEX logistics_waybills_tracking ON logistics_waybills(carrier, tracking_no);

CREATE TABLE logistics_events (
    id           INTEGER PRIMARY KEY,
    waybill_id   INTEGER NOT NULL REFERENCES logistics_waybills(id),
    event_key    TEXT NOT NULL,
    at           TEXT NOT NULL,
    status       TEXT NOT NULL,
    raw_status   TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    place        TEXT NOT NULL,             -- JSON Place
    source       TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    UNIQUE (waybill_id, event_key)
);
CREATE INDEX logistics_events_timeline ON logistics_events(waybill_id, at, id);

-- What delivered waybills teach: per (carrier, lane, status) the hours a status lasted
-- before the next event (dwell) and the hours from its first event to delivery
-- (remaining; status 'picked_up' is the whole transit). One row per waybill and kind.
CREATE TABLE logistics_samples (
    id           INTEGER PRIMARY KEY,
    carrier      TEXT NOT NULL,
    lane         TEXT NOT NULL,
    status       TEXT NOT NULL,
    measure      TEXT NOT NULL CHECK (measure IN ('dwell', 'remaining')),
    hours        REAL NOT NULL,
    waybill_id   INTEGER NOT NULL REFERENCES logistics_waybills(id),
    seq          INTEGER NOT NULL,
    recorded_at  TEXT NOT NULL,
    UNIQUE (waybill_id, measure, status, seq)
);
CREATE INDEX logistics_samples_key ON logistics_samples(carrier, measure, status, lane, id);

CREATE TABLE logistics_alerts (
    id          INTEGER PRIMARY KEY,
    brand_id    INTEGER NOT NULL REFERENCES brands(id),
    waybill_id  INTEGER NOT NULL REFERENCES logistics_waybills(id),
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at   TEXT NOT NULL,
    closed_at   TEXT,
    closed_by   TEXT,
    evidence    TEXT NOT NULL,
    notified_at TEXT
);
-- at most one open alert of a kind per waybill
CREATE UNIQUE INDEX logistics_alerts_open ON logistics_alerts(waybill_id, kind)
    WHERE status = 'open';
CREATE INDEX logistics_alerts_brand ON logistics_alerts(brand_id, status, id);

CREATE TABLE logistics_settings (
    brand_id        INTEGER PRIMARY KEY REFERENCES brands(id),
    rules           TEXT NOT NULL DEFAULT '{}',
    kuaidi100_salt  TEXT NOT NULL DEFAULT '',
    webhook_secret  TEXT NOT NULL DEFAULT '',
    updated_at      TEXT NOT NULL,
    updated_by      TEXT NOT NULL
);

-- The territories shipments (outbound movements) waybills may belong to, as the
-- ``territories.shipped`` events announced them: a waybill for a shipment takes its
-- shipper, receiver and order number from here.
CREATE TABLE logistics_shipments (
    movement_id  INTEGER PRIMARY KEY,
    brand_id     INTEGER NOT NULL REFERENCES brands(id),
    from_org     INTEGER,
    to_org       INTEGER NOT NULL,
    reference    TEXT NOT NULL DEFAULT '',
    units        TEXT NOT NULL,              -- JSON: GTIN -> units
    at           TEXT NOT NULL
);
CREATE INDEX logistics_shipments_reference ON logistics_shipments(brand_id, reference);

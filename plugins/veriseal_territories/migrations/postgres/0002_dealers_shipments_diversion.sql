-- Dealers, sales authorizations, shipments and diversion alerts.
-- Facts are appended; the only rows rewritten are territories_holdings, the derived
-- "who holds which units now", rewritten in the same transaction as the movement it
-- follows from (as the core's packed_ranges follow aggregation events).

-- The plugin's data about a dealer org of the accounts tree: one row per version, the
-- newest per org is in force (an import that changes a dealer appends a version).
CREATE TABLE territories_dealers (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL REFERENCES brands(id),
    org_id      BIGINT NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    contact     TEXT NOT NULL,
    phone       TEXT NOT NULL,
    regions     TEXT NOT NULL,
    status      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL
);
CREATE INDEX territories_dealers_code ON territories_dealers(brand_id, code, id);
CREATE INDEX territories_dealers_org ON territories_dealers(org_id, id);

-- A sales authorization: products ('' = all, 'gtin:<GTIN>', 'category:<path>') in a
-- region (hierarchy code, or 'custom:<name>') from valid_from until valid_until.
CREATE TABLE territories_grants (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL REFERENCES brands(id),
    org_id      BIGINT NOT NULL,
    product     TEXT NOT NULL,
    region      TEXT NOT NULL,
    valid_from  TIMESTAMPTZ NOT NULL,
    valid_until TIMESTAMPTZ,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL
);
CREATE INDEX territories_grants_brand ON territories_grants(brand_id, org_id);

-- What happened to a grant afterwards: revoke (final), suspend, reinstate. Newest wins.
CREATE TABLE territories_grant_events (
    id          BIGSERIAL PRIMARY KEY,
    grant_id    BIGINT NOT NULL REFERENCES territories_grants(id),
    action      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL
);
CREATE INDEX territories_grant_events_grant ON territories_grant_events(grant_id, id);

-- A movement of goods: 'out' (shipped from from_org to to_org) or 'in' (received by
-- to_org; from_org is the holder it was taken from). client_id makes a handheld's retry
-- of the same upload a replay (NULLs never clash).
CREATE TABLE territories_movements (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL REFERENCES brands(id),
    kind        TEXT NOT NULL,
    from_org    BIGINT,
    to_org      BIGINT NOT NULL,
    shipment_id BIGINT,
    items       BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    client_id   TEXT,
    lat         DOUBLE PRECISION,
    lon         DOUBLE PRECISION,
    accuracy_m  DOUBLE PRECISION,
    note        TEXT NOT NULL
);
CREATE UNIQUE INDEX territories_movements_client ON territories_movements(brand_id, actor, client_id);
CREATE INDEX territories_movements_time ON territories_movements(brand_id, at);
CREATE TABLE territories_movement_ranges (
    movement_id BIGINT NOT NULL REFERENCES territories_movements(id),
    batch_id    BIGINT NOT NULL,
    first_index BIGINT NOT NULL,
    last_index  BIGINT NOT NULL
);
CREATE INDEX territories_movement_ranges_m ON territories_movement_ranges(movement_id);
CREATE TABLE territories_movement_units (
    movement_id BIGINT NOT NULL REFERENCES territories_movements(id),
    sscc        TEXT NOT NULL
);
CREATE INDEX territories_movement_units_m ON territories_movement_units(movement_id);

-- Derived: the holder of each range of units now (disjoint per batch), and the
-- movement that put it there.
CREATE TABLE territories_holdings (
    brand_id    BIGINT NOT NULL,
    batch_id    BIGINT NOT NULL,
    first_index BIGINT NOT NULL,
    last_index  BIGINT NOT NULL,
    org_id      BIGINT NOT NULL,
    movement_id BIGINT NOT NULL
);
CREATE INDEX territories_holdings_range ON territories_holdings(batch_id, first_index);
CREATE INDEX territories_holdings_org ON territories_holdings(org_id);

-- Diversion tolerances per brand; newest wins.
CREATE TABLE territories_tolerances (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL REFERENCES brands(id),
    settings    TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);

-- Observations of a held unit outside its holder's territory that carry less than a
-- full weight of evidence (IP-derived, declared); they add up to an alert.
CREATE TABLE territories_sightings (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL,
    batch_id    BIGINT NOT NULL,
    idx         BIGINT NOT NULL,
    org_id      BIGINT NOT NULL,
    scan_id     BIGINT NOT NULL,
    weight      DOUBLE PRECISION NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX territories_sightings_unit ON territories_sightings(batch_id, idx, org_id);

-- Diversion alerts with their evidence; dedup_key makes one alert per unit and holder
-- (scans) or per receipt (another dealer's inbound scan).
CREATE TABLE territories_alerts (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL REFERENCES brands(id),
    at          TIMESTAMPTZ NOT NULL,
    dedup_key   TEXT NOT NULL,
    source      TEXT NOT NULL,
    org_id      BIGINT NOT NULL,
    code        TEXT NOT NULL,
    gtin        TEXT,
    batch_id    BIGINT,
    idx         BIGINT,
    items       BIGINT NOT NULL,
    scan_id     BIGINT,
    movement_id BIGINT,
    country     TEXT,
    province    TEXT,
    city        TEXT,
    evidence    TEXT NOT NULL
);
CREATE UNIQUE INDEX territories_alerts_dedup ON territories_alerts(brand_id, dedup_key);
CREATE INDEX territories_alerts_code ON territories_alerts(brand_id, code);

-- The alert workflow: open -> investigating -> confirmed / dismissed. State = newest.
CREATE TABLE territories_alert_events (
    id          BIGSERIAL PRIMARY KEY,
    alert_id    BIGINT NOT NULL REFERENCES territories_alerts(id),
    state       TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL,
    penalty     TEXT,
    action      TEXT
);
CREATE INDEX territories_alert_events_alert ON territories_alert_events(alert_id, id);

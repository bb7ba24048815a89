-- Diversion evidence by consignment (veriseal_territories.evidence): one row per scan
-- that placed a held unit outside its holder's territory, grouped by the movement that
-- delivered the unit to the holder; an alert is raised for the group once its rows add
-- up (level suspected, then strong). `excluded` marks rows of a code later found copied.
CREATE TABLE territories_evidence (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL,
    group_key   TEXT NOT NULL,
    org_id      BIGINT NOT NULL,
    movement_id BIGINT NOT NULL,
    batch_id    BIGINT NOT NULL,
    idx         BIGINT NOT NULL,
    code        TEXT NOT NULL,
    scan_id     BIGINT NOT NULL,
    witness     TEXT NOT NULL,
    weight      DOUBLE PRECISION NOT NULL,
    km_outside  DOUBLE PRECISION NOT NULL,
    place       TEXT NOT NULL,
    days_held   DOUBLE PRECISION NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    detail      TEXT NOT NULL,
    excluded    INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX territories_evidence_scan ON territories_evidence(brand_id, scan_id, org_id);
CREATE INDEX territories_evidence_group ON territories_evidence(brand_id, group_key);
CREATE INDEX territories_evidence_code ON territories_evidence(brand_id, code);
-- Alerts raised before evidence grouping were single sightings: suspected at most.
ALTER TABLE territories_alerts ADD COLUMN level TEXT NOT NULL DEFAULT 'suspected';
-- Sightings were the per-unit weights of the single-sighting alerts; evidence replaces them.
DROP TABLE territories_sightings;

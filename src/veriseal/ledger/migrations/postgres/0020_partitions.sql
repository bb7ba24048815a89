-- Time partitions for the two tables that grow with every scan: scans and
-- stream_events (docs/operations.md, "Partitions, retention and archives").
--
-- Both are partitioned by RANGE of their id (scans.id, stream_events.position), and the
-- ranges are tied to calendar months: month m (year * 12 + month - 1) owns the ids
-- [m * 2^36, (m + 1) * 2^36). The server creates each month's partitions ahead and, once
-- a month has begun, moves the id sequence to the start of its range
-- (veriseal.ledger.partition_store.ensure). Why ids and not a timestamp column:
--   * every reader finds a scan by id (a code's first and last scan, the stream's
--     consumers, fake_reports.scan_id): with the id as partition key each such lookup
--     touches one partition, however many months are kept;
--   * a partitioned table's primary key and unique indexes must contain the partition
--     key: keyed by time, scans.id could no longer be referenced, nor be unique;
--   * a scan's own `at` is the device's clock for offline uploads (hours or years off):
--     partitioning by it would scatter rows and refuse some of them.
-- Ids stay increasing, so everything ordered by id keeps its order. 2^36 ids a month is
-- 68 billion scans; 2^36 * month numbers stay below 2^53 (exact in JSON numbers) until
-- the year 10,900.
--
-- Existing rows keep their ids: each old table becomes the partition "<table>_legacy"
-- for ids below 2^40 (a BIGSERIAL never got that far), checked by ATTACH.

-- A handheld's client scan ids move to a table of their own: a unique index of a
-- partitioned table must contain the partition key, so (actor, client_scan_id) could
-- only be unique within one month, and a retried upload must be recognised whenever it
-- arrives.
CREATE TABLE scan_client_ids (
    actor           TEXT NOT NULL,
    client_scan_id  TEXT NOT NULL,
    scan_id         BIGINT NOT NULL,
    PRIMARY KEY (actor, client_scan_id)
);
INSERT INTO scan_client_ids (actor, client_scan_id, scan_id)
    SELECT actor, client_scan_id, id FROM scans WHERE client_scan_id IS NOT NULL;
DROP INDEX scans_client_id;

-- scans: the old table becomes the legacy partition
ALTER TABLE fake_reports DROP CONSTRAINT fake_reports_scan_id_fkey;
ALTER TABLE scans RENAME TO scans_legacy;
ALTER INDEX scans_pkey RENAME TO scans_legacy_pkey;
ALTER INDEX scans_code RENAME TO scans_legacy_code;
ALTER INDEX scans_batch RENAME TO scans_legacy_batch;
ALTER INDEX scans_at RENAME TO scans_legacy_at;
ALTER INDEX scans_code_province RENAME TO scans_legacy_code_province;
ALTER INDEX scans_user RENAME TO scans_legacy_user;
ALTER INDEX scans_brand RENAME TO scans_legacy_brand;
ALTER INDEX scans_brand_outcome RENAME TO scans_legacy_brand_outcome;
ALTER INDEX scans_brand_province RENAME TO scans_legacy_brand_province;
CREATE TABLE scans (LIKE scans_legacy INCLUDING DEFAULTS) PARTITION BY RANGE (id);
ALTER TABLE scans ADD CONSTRAINT scans_pkey PRIMARY KEY (id);
ALTER TABLE scans ADD CONSTRAINT scans_brand_id_fkey FOREIGN KEY (brand_id) REFERENCES brands(id);
ALTER TABLE scans ADD CONSTRAINT scans_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES batches(id);
ALTER TABLE scans ADD CONSTRAINT scans_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id);
CREATE INDEX scans_code ON scans(brand_id, code, id);
CREATE INDEX scans_batch ON scans(batch_id, id);
CREATE INDEX scans_at ON scans(brand_id, at);
CREATE INDEX scans_code_province ON scans(brand_id, code, province);
CREATE INDEX scans_user ON scans(user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX scans_brand ON scans(brand_id, id);
CREATE INDEX scans_brand_outcome ON scans(brand_id, outcome, at);
CREATE INDEX scans_brand_province ON scans(brand_id, province, at);
ALTER SEQUENCE scans_id_seq OWNED BY scans.id;
ALTER TABLE scans ATTACH PARTITION scans_legacy FOR VALUES FROM (MINVALUE) TO (1099511627776);
ALTER TABLE fake_reports ADD CONSTRAINT fake_reports_scan_id_fkey FOREIGN KEY (scan_id) REFERENCES scans(id);

-- stream_events: the same. Its position was drawn by a BEFORE INSERT trigger, but a
-- partitioned table routes a row BEFORE such triggers run (and refuses one that changes
-- the partition key), so the position now comes from the column's default: the same
-- commit-ordering lock (see 0011), then the sequence.
DROP TRIGGER stream_events_position ON stream_events;
DROP FUNCTION stream_events_position();
ALTER TABLE stream_events RENAME TO stream_events_legacy;
ALTER INDEX stream_events_pkey RENAME TO stream_events_legacy_pkey;
ALTER INDEX stream_events_kind RENAME TO stream_events_legacy_kind;
CREATE FUNCTION stream_events_position() RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$ BEGIN PERFORM pg_advisory_xact_lock(8531350866357416549); RETURN nextval('stream_events_position_seq'); END $$;
CREATE TABLE stream_events (LIKE stream_events_legacy) PARTITION BY RANGE (position);
ALTER TABLE stream_events ALTER COLUMN position SET DEFAULT stream_events_position();
ALTER TABLE stream_events ADD CONSTRAINT stream_events_pkey PRIMARY KEY (position);
CREATE INDEX stream_events_kind ON stream_events(kind, position);
ALTER SEQUENCE stream_events_position_seq OWNED BY stream_events.position;
ALTER TABLE stream_events ATTACH PARTITION stream_events_legacy FOR VALUES FROM (MINVALUE) TO (1099511627776);

-- When each table's id sequence entered a month's range (written by ensure): a month's
-- partition holds only rows recorded before the next month in use was entered, which
-- is what retention asks of it (never a guess from the calendar).
CREATE TABLE ledger_periods (
    table_name  TEXT NOT NULL,
    period      INTEGER NOT NULL,
    entered_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (table_name, period)
);

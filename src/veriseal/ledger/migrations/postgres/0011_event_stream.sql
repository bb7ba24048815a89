-- The durable event stream: every fact consumers react to (a scan recorded, an alert
-- raised, a lifecycle event appended, a plugin's own event) gets a POSITION, appended in
-- the same transaction as the fact it announces. Consumers read it in position order,
-- each keeping its cursor in stream_cursors, committed with the consumer's effects.
-- Dialect: postgres. A sequence alone is not commit-ordered: a transaction holding
-- position 10 may commit after one holding 11, and a reader that moved past 11 would
-- never see 10. So every insert takes a transaction-scoped advisory lock before its
-- position is drawn (the trigger below): appenders queue from their first stream row
-- until their commit, and positions become visible in order. Append stream rows LAST
-- in a transaction, so the lock is held only for the commit.
CREATE SEQUENCE stream_events_position_seq;
CREATE TABLE stream_events (
    position  BIGINT PRIMARY KEY,
    kind      TEXT NOT NULL,
    brand_id  BIGINT,
    ref       BIGINT NOT NULL,
    payload   TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX stream_events_kind ON stream_events(kind, position);
-- 0x7665726973747265 is "veristre": a fixed key no other lock of the ledger uses.
CREATE FUNCTION stream_events_position() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock(8531350866357416549); NEW.position := nextval('stream_events_position_seq'); RETURN NEW; END $$;
CREATE TRIGGER stream_events_position BEFORE INSERT ON stream_events FOR EACH ROW EXECUTE FUNCTION stream_events_position();

-- One row per consumer: the position up to which its effects are committed.
CREATE TABLE stream_cursors (
    consumer    TEXT PRIMARY KEY,
    position    BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Events a consumer failed on too often (poison): skipped by it, kept with the last
-- error until retried (resolved_at set when a retry succeeded).
CREATE TABLE stream_parked (
    consumer     TEXT NOT NULL,
    position     BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    error        TEXT NOT NULL,
    tries        INTEGER NOT NULL,
    parked_at    TIMESTAMPTZ NOT NULL,
    resolved_at  TIMESTAMPTZ,
    PRIMARY KEY (consumer, position)
);

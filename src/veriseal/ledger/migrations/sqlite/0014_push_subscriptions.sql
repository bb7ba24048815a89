-- Web Push (RFC 8030/8291/8292) and WeChat subscribe messages as outbox channels.
--
-- push_subscriptions: a browser's PushSubscription per row (one endpoint belongs to one
-- user: the last to register it). p256dh and auth are the browser's keys as unpadded
-- base64url; lang is the device's language, the language its notifications are written
-- in. last_ok_at and failures say how the push service has answered lately; a 404/410
-- answer deletes the row (the browser dropped the subscription). user_id is a plain
-- integer, as in the other notify_* tables (users belong to the accounts module).
-- AUTOINCREMENT: an id is never given again (SQLite would reuse the highest after a
-- delete), so an outbox row addressed to a removed subscription can never reach
-- another browser; PostgreSQL's sequence never reuses one either.
CREATE TABLE push_subscriptions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL,
    endpoint    TEXT NOT NULL UNIQUE,
    p256dh      TEXT NOT NULL,
    auth        TEXT NOT NULL,
    user_agent  TEXT NOT NULL DEFAULT '',
    lang        TEXT NOT NULL DEFAULT 'zh' CHECK (lang IN ('zh', 'en')),
    created_at  TEXT NOT NULL,
    last_ok_at  TEXT,
    failures    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX push_subscriptions_user ON push_subscriptions(user_id, id);

-- notify_outbox's channel CHECK gains 'push' and 'wechat'. SQLite cannot change a CHECK
-- in place, so the table is rebuilt. Its child notify_attempts is rebuilt with it: with
-- foreign keys on (they are, and cannot be switched off inside the migration's
-- transaction), dropping a parent that still has child rows fails. The copies keep
-- every id; renaming the new parent rewrites the child's REFERENCES clause to the final
-- name; the indexes are created again under their old names.
CREATE TABLE notify_outbox_0014 (
    id               INTEGER PRIMARY KEY,
    message_id       INTEGER NOT NULL REFERENCES notify_messages(id),
    channel          TEXT NOT NULL
                     CHECK (channel IN ('email', 'sms', 'webhook', 'push', 'wechat')),
    address          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    not_before       TEXT NOT NULL,     -- due time: now, the end of a DND window, or a retry
    held_by_dnd      INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_until      TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    finished_at      TEXT
);
INSERT INTO notify_outbox_0014 (id, message_id, channel, address, idempotency_key, status,
    attempts, not_before, held_by_dnd, lease_owner, lease_until, last_error, created_at,
    finished_at)
SELECT id, message_id, channel, address, idempotency_key, status, attempts, not_before,
    held_by_dnd, lease_owner, lease_until, last_error, created_at, finished_at
FROM notify_outbox;
CREATE TABLE notify_attempts_0014 (
    id          INTEGER PRIMARY KEY,
    outbox_id   INTEGER NOT NULL REFERENCES notify_outbox_0014(id),
    attempt_no  INTEGER NOT NULL,
    worker      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    at          TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
    error       TEXT NOT NULL DEFAULT ''
);
INSERT INTO notify_attempts_0014 (id, outbox_id, attempt_no, worker, started_at, at, outcome,
    error)
SELECT id, outbox_id, attempt_no, worker, started_at, at, outcome, error FROM notify_attempts;
DROP TABLE notify_attempts;
DROP TABLE notify_outbox;
ALTER TABLE notify_outbox_0014 RENAME TO notify_outbox;
ALTER TABLE notify_attempts_0014 RENAME TO notify_attempts;
CREATE INDEX notify_outbox_due ON notify_outbox(status, not_before);
CREATE INDEX notify_outbox_message ON notify_outbox(message_id);
CREATE INDEX notify_attempts_outbox ON notify_attempts(outbox_id, id);

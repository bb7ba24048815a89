-- Notifications: messages (the per-user history and in-app inbox), the outbox the
-- delivery worker drains, its append-only attempts, per-type preferences, and an
-- in-ledger contact book. user_id is a plain integer on purpose: the users table
-- belongs to the accounts module and may be created after this migration.
--
-- Facts are appended (notify_attempts, notify_reads, notify_prefs, notify_contacts);
-- the few mutable columns (notify_outbox status/lease/attempts, notify_messages
-- is_read) change only in the same transaction as the fact row that explains them.
CREATE TABLE notify_messages (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT,               -- NULL: sent to a raw address (no history, no inbox)
    mtype       TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}',
    in_inbox    BOOLEAN NOT NULL,
    is_read     BOOLEAN NOT NULL DEFAULT FALSE,
    -- search tokens of title and body (words; CJK text as overlapping bigrams plus
    -- single characters), written by the service so both backends match alike
    search      TSVECTOR NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_messages_search ON notify_messages USING GIN (search);
CREATE INDEX notify_messages_user ON notify_messages(user_id, id);

CREATE TABLE notify_reads (
    id          BIGSERIAL PRIMARY KEY,
    message_id  BIGINT NOT NULL REFERENCES notify_messages(id),
    is_read     BOOLEAN NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_reads_message ON notify_reads(message_id, id);

CREATE TABLE notify_outbox (
    id               BIGSERIAL PRIMARY KEY,
    message_id       BIGINT NOT NULL REFERENCES notify_messages(id),
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
    address          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    not_before       TIMESTAMPTZ NOT NULL,  -- due time: now, the end of a DND window, or a retry
    held_by_dnd      BOOLEAN NOT NULL DEFAULT FALSE,
    lease_owner      TEXT,
    lease_until      TIMESTAMPTZ,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ
);
CREATE INDEX notify_outbox_due ON notify_outbox(status, not_before);
CREATE INDEX notify_outbox_message ON notify_outbox(message_id);

CREATE TABLE notify_attempts (
    id          BIGSERIAL PRIMARY KEY,
    outbox_id   BIGINT NOT NULL REFERENCES notify_outbox(id),
    attempt_no  INTEGER NOT NULL,
    worker      TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notify_attempts_outbox ON notify_attempts(outbox_id, id);

CREATE TABLE notify_prefs (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    mtype       TEXT NOT NULL,
    channels    TEXT NOT NULL,          -- comma-separated channel names
    dnd_start   TEXT,                   -- HH:MM local time, NULL: no window
    dnd_end     TEXT,
    tz          TEXT,
    set_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_prefs_user ON notify_prefs(user_id, mtype, id);

CREATE TABLE notify_contacts (
    id              BIGSERIAL PRIMARY KEY,
    user_id         BIGINT NOT NULL,
    email           TEXT,
    phone           TEXT,
    webhook_url     TEXT,
    webhook_secret  BYTEA,
    set_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_contacts_user ON notify_contacts(user_id, id);

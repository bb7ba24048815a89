-- Web Push (RFC 8030/8291/8292) and WeChat subscribe messages as outbox channels.
--
-- push_subscriptions: a browser's PushSubscription per row (one endpoint belongs to one
-- user: the last to register it). p256dh and auth are the browser's keys as unpadded
-- base64url; lang is the device's language, the language its notifications are written
-- in. last_ok_at and failures say how the push service has answered lately; a 404/410
-- answer deletes the row (the browser dropped the subscription). user_id is a plain
-- integer, as in the other notify_* tables (users belong to the accounts module).
CREATE TABLE push_subscriptions (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    endpoint    TEXT NOT NULL UNIQUE,
    p256dh      TEXT NOT NULL,
    auth        TEXT NOT NULL,
    user_agent  TEXT NOT NULL DEFAULT '',
    lang        TEXT NOT NULL DEFAULT 'zh' CHECK (lang IN ('zh', 'en')),
    created_at  TIMESTAMPTZ NOT NULL,
    last_ok_at  TIMESTAMPTZ,
    failures    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX push_subscriptions_user ON push_subscriptions(user_id, id);

-- notify_outbox's channel CHECK gains 'push' and 'wechat' (SQLite rebuilds the table for
-- this; PostgreSQL replaces the constraint under its generated name).
ALTER TABLE notify_outbox DROP CONSTRAINT notify_outbox_channel_check;
ALTER TABLE notify_outbox ADD CONSTRAINT notify_outbox_channel_check
    CHECK (channel IN ('email', 'sms', 'webhook', 'push', 'wechat'));

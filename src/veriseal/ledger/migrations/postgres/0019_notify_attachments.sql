-- Files a message carries by e-mail (a scheduled report). Stored in the ledger, in the
-- transaction that accepts the message, so an accepted message never loses its file;
-- the content is dropped once no e-mail delivery of the message is pending (the row
-- keeps name and size for the history). Only the server makes them: no route accepts
-- an attachment from a client.
CREATE TABLE notify_attachments (
    id          BIGSERIAL PRIMARY KEY,
    message_id  BIGINT NOT NULL REFERENCES notify_messages(id),
    name        TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    content     BYTEA
);
CREATE INDEX notify_attachments_message ON notify_attachments(message_id, id);

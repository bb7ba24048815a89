-- Third-party sign-in (veriseal.accounts.external, docs/accounts.md): OpenID Connect,
-- WeChat and Alipay identities linked to users, and the single-use state of each
-- authorization request in flight.
--
-- 1. A user created by a sign-in with WeChat or Alipay has neither an e-mail address nor
--    a phone number (neither service gives one): its login identifier is the linked
--    identity. The users table's CHECK (email IS NOT NULL OR phone IS NOT NULL) goes.
--    SQLite cannot drop a constraint, and rebuilding users is impossible inside the
--    migration's transaction (foreign_keys stays ON there, and a dozen tables point at
--    users): this is SQLite's documented procedure for removing a CHECK constraint
--    (sqlite.org/lang_altertable.html, "making other kinds of table schema changes"):
--    edit the stored CREATE TABLE text, then RESET makes every connection re-read the
--    schema. The stored rows do not change.
PRAGMA writable_schema = ON;
UPDATE sqlite_master SET sql = replace(sql, ',
    CHECK (email IS NOT NULL OR phone IS NOT NULL)', '')
WHERE type = 'table' AND name = 'users';
PRAGMA writable_schema = RESET;
-- The edit must be in force (a text that did not match, or an SQLite without RESET,
-- leaves the old CHECK): a user row without contacts has to be accepted, else this
-- fails here and the whole migration rolls back.
INSERT INTO users (id, display_name, role, status, created_at)
VALUES (0, 'migration 0015 check', 'consumer', 'disabled', '1970-01-01T00:00:00.000000+00:00');
DELETE FROM users WHERE id = 0;

-- 2. (provider, subject) -> user. ``subject`` is the provider's stable id of the person
--    (OIDC ``sub``, WeChat unionid else openid, Alipay user_id else open_id). One
--    identity per provider per user. ``claims``: the JSON subset shown to the user.
CREATE TABLE external_identities (
    id            INTEGER PRIMARY KEY,
    provider      TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    email         TEXT,
    display_name  TEXT NOT NULL DEFAULT '',
    claims        TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    UNIQUE (provider, subject),
    UNIQUE (user_id, provider)
);

-- 3. One row per authorization request: the state the browser carries (only its
--    SHA-256 is kept), the OIDC nonce and the PKCE verifier, which never leave the
--    server. Used once (used_at), within 10 minutes; ``purpose`` 'link' names the
--    signed-in user who asked.
CREATE TABLE external_auth_states (
    id             INTEGER PRIMARY KEY,
    state_hash     BLOB NOT NULL UNIQUE,
    provider       TEXT NOT NULL,
    purpose        TEXT NOT NULL CHECK (purpose IN ('signin', 'link')),
    user_id        INTEGER REFERENCES users(id),
    nonce          TEXT NOT NULL,
    code_verifier  TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    return_to      TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    used_at        TEXT
);
CREATE INDEX external_auth_states_created ON external_auth_states(created_at);

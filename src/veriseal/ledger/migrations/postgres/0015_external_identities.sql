-- Third-party sign-in (veriseal.accounts.external, docs/accounts.md): OpenID Connect,
-- WeChat and Alipay identities linked to users, and the single-use state of each
-- authorization request in flight. Kept in step with sqlite/0015_external_identities.sql.
--
-- 1. A user created by a sign-in with WeChat or Alipay has neither an e-mail address nor
--    a phone number (neither service gives one): its login identifier is the linked
--    identity. The users table's CHECK (email IS NOT NULL OR phone IS NOT NULL) goes.
ALTER TABLE users DROP CONSTRAINT users_check;

-- 2. (provider, subject) -> user. ``subject`` is the provider's stable id of the person
--    (OIDC ``sub``, WeChat unionid else openid, Alipay user_id else open_id). One
--    identity per provider per user. ``claims``: the JSON subset shown to the user.
CREATE TABLE external_identities (
    id            BIGSERIAL PRIMARY KEY,
    provider      TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       BIGINT NOT NULL REFERENCES users(id),
    email         TEXT,
    display_name  TEXT NOT NULL DEFAULT '',
    claims        TEXT NOT NULL DEFAULT '{}',
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    UNIQUE (provider, subject),
    UNIQUE (user_id, provider)
);

-- 3. One row per authorization request: the state the browser carries (only its
--    SHA-256 is kept), the OIDC nonce and the PKCE verifier, which never leave the
--    server. Used once (used_at), within 10 minutes; ``purpose`` 'link' names the
--    signed-in user who asked.
CREATE TABLE external_auth_states (
    id             BIGSERIAL PRIMARY KEY,
    state_hash     BYTEA NOT NULL UNIQUE,
    provider       TEXT NOT NULL,
    purpose        TEXT NOT NULL CHECK (purpose IN ('signin', 'link')),
    user_id        BIGINT REFERENCES users(id),
    nonce          TEXT NOT NULL,
    code_verifier  TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    return_to      TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    used_at        TIMESTAMPTZ
);
CREATE INDEX external_auth_states_created ON external_auth_states(created_at);

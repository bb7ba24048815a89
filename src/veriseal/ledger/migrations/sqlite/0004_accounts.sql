-- Accounts: organisations (the brand and its dealer tree), users, credentials, API
-- tokens, one-time codes, login attempts, passkeys, real-name submissions, audit log.
-- Facts are appended (login_attempts, audit_log, kyc_reviews, otp use); the few
-- mutable columns (users.status, profile fields) change only together with an
-- audit_log row in the same transaction.
CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY,
    brand_id    INTEGER REFERENCES brands(id),  -- NULL only for the platform itself
    kind        TEXT NOT NULL CHECK (kind IN ('platform', 'brand', 'distributor', 'retailer')),
    name        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES orgs(id),
    -- materialised path "/1/4/9/": a subtree is one indexed range query (byte order)
    path        TEXT NOT NULL,
    profile     TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL
);
CREATE INDEX orgs_path ON orgs(path);
CREATE INDEX orgs_brand ON orgs(brand_id, kind);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT UNIQUE,
    phone          TEXT UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    org_id         INTEGER REFERENCES orgs(id),
    status         TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
    password_hash  TEXT,
    profile        TEXT NOT NULL DEFAULT '{}',
    avatar         BLOB,
    created_at     TEXT NOT NULL,
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    secret_hash BLOB NOT NULL,          -- SHA-256 of the secret part; the secret is never stored
    scopes      TEXT NOT NULL,           -- JSON list
    kind        TEXT NOT NULL CHECK (kind IN ('api', 'session')),
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT,
    last_used   TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE otp_codes (
    id           INTEGER PRIMARY KEY,
    destination  TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    code_hash    BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX otp_codes_dest ON otp_codes(destination, purpose, id);

CREATE TABLE login_attempts (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     INTEGER REFERENCES users(id),
    identifier  TEXT NOT NULL,
    client      TEXT NOT NULL,
    device      TEXT NOT NULL,
    region      TEXT NOT NULL,
    method      TEXT NOT NULL,
    success     INTEGER NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX login_attempts_user ON login_attempts(user_id, id);
CREATE INDEX login_attempts_client ON login_attempts(client, at);

CREATE TABLE passkeys (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    credential_id  BLOB NOT NULL UNIQUE,
    public_key     BLOB NOT NULL,
    sign_count     INTEGER NOT NULL,
    name           TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX passkeys_user ON passkeys(user_id);

CREATE TABLE webauthn_challenges (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER REFERENCES users(id),
    purpose     TEXT NOT NULL,
    challenge   BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    used_at     TEXT
);

CREATE TABLE kyc_submissions (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id),
    kind             TEXT NOT NULL CHECK (kind IN ('person', 'enterprise')),
    legal_name       TEXT NOT NULL,
    number_masked    TEXT NOT NULL,
    number_sealed    BLOB NOT NULL,
    document_sealed  BLOB NOT NULL,
    document_type    TEXT NOT NULL,
    submitted_at     TEXT NOT NULL
);
CREATE INDEX kyc_submissions_user ON kyc_submissions(user_id, id);

CREATE TABLE kyc_reviews (
    id             INTEGER PRIMARY KEY,
    submission_id  INTEGER NOT NULL REFERENCES kyc_submissions(id),
    reviewer_id    INTEGER NOT NULL REFERENCES users(id),
    decision       TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    reason         TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX kyc_reviews_submission ON kyc_reviews(submission_id, id);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor_id  INTEGER,
    brand_id  INTEGER,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    client    TEXT NOT NULL,
    details   TEXT NOT NULL
);
CREATE INDEX audit_log_brand ON audit_log(brand_id, id);
CREATE INDEX audit_log_actor ON audit_log(actor_id, id);

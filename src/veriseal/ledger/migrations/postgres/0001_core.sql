-- Core tables: brands, keys, products, batches, and their append-only event history.
CREATE TABLE brands (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    resolver    TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE keys (
    brand_id       BIGINT NOT NULL REFERENCES brands(id),
    slot           INTEGER NOT NULL CHECK (slot BETWEEN 0 AND 1023),
    kid            TEXT NOT NULL,
    public_key     BYTEA NOT NULL,
    sealed_secret  BYTEA NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('active', 'retired', 'revoked')),
    created_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ,
    PRIMARY KEY (brand_id, slot)
);

-- Every status a key takes is appended here; keys.status is the latest of these.
CREATE TABLE key_events (
    id        BIGSERIAL PRIMARY KEY,
    brand_id  BIGINT NOT NULL,
    slot      INTEGER NOT NULL,
    status    TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (brand_id, slot) REFERENCES keys(brand_id, slot)
);

CREATE TABLE products (
    gtin             TEXT PRIMARY KEY,
    brand_id         BIGINT NOT NULL REFERENCES brands(id),
    name             TEXT NOT NULL,
    spec             TEXT NOT NULL DEFAULT '',
    manufacturer     TEXT NOT NULL DEFAULT '',
    shelf_life_days  INTEGER,
    category         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX products_brand ON products(brand_id, gtin);

CREATE TABLE batches (
    id               BIGSERIAL PRIMARY KEY,
    brand_id         BIGINT NOT NULL REFERENCES brands(id),
    gtin             TEXT NOT NULL REFERENCES products(gtin),
    lot              TEXT NOT NULL,
    key_slot         INTEGER NOT NULL,
    seq              INTEGER NOT NULL CHECK (seq BETWEEN 0 AND 1048575),
    profile          TEXT NOT NULL,
    pin_digits       INTEGER NOT NULL,
    size             BIGINT NOT NULL CHECK (size > 0),
    production_date  DATE NOT NULL,
    expiry_date      DATE,
    factory          TEXT NOT NULL,
    line             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('active', 'recalled')),
    manifest         BYTEA NOT NULL,
    manifest_sig     BYTEA NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (brand_id, gtin, lot),
    UNIQUE (brand_id, key_slot, seq),
    FOREIGN KEY (brand_id, key_slot) REFERENCES keys(brand_id, slot)
);

CREATE TABLE batch_events (
    id        BIGSERIAL PRIMARY KEY,
    batch_id  BIGINT NOT NULL REFERENCES batches(id),
    status    TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);

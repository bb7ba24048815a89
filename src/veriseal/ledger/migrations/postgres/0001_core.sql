-- Core tables: brands, keys, products, batches, and their append-only event history.
-- Dialect: postgres. Timestamps are timestamptz; dates are date.
-- Facts are appended, state derived (ARCHITECTURE.md rule 7): keys.status and
-- batches.status are denormalised copies of the latest row of key_events /
-- batch_events, written in the same transaction as that row.
-- schema_migrations is created by the migration runner itself (it must exist
-- before it can tell which files to apply).
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

-- Every status a key takes (its first included) is appended here.
CREATE TABLE key_events (
    id        BIGSERIAL PRIMARY KEY,
    brand_id  BIGINT NOT NULL,
    slot      INTEGER NOT NULL,
    status    TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (brand_id, slot) REFERENCES keys(brand_id, slot)
);
CREATE INDEX key_events_key ON key_events(brand_id, slot, id);

-- gtin is the primary key: a GTIN belongs to one brand in the whole ledger.
-- category is the '/'-joined path ("Beverages/Tea/Green"), '' for none.
CREATE TABLE products (
    gtin             TEXT PRIMARY KEY,
    brand_id         BIGINT NOT NULL REFERENCES brands(id),
    name             TEXT NOT NULL,
    spec             TEXT NOT NULL DEFAULT '',
    manufacturer     TEXT NOT NULL DEFAULT '',
    shelf_life_days  INTEGER,
    category         TEXT NOT NULL DEFAULT '',
    UNIQUE (brand_id, gtin)  -- lists by brand, and the target of batches' foreign key
);

-- seq is the per (brand, key slot) batch number carried in every code: 0, 1, 2, ...
-- allocated by the backend without gaps; 1048575 = 2**20 - 1 is the last one.
CREATE TABLE batches (
    id               BIGSERIAL PRIMARY KEY,
    brand_id         BIGINT NOT NULL REFERENCES brands(id),
    gtin             TEXT NOT NULL,
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
    -- composite keys: a batch can only name its own brand's product and key
    FOREIGN KEY (brand_id, gtin) REFERENCES products(brand_id, gtin),
    FOREIGN KEY (brand_id, key_slot) REFERENCES keys(brand_id, slot)
);

-- Every status a batch takes (its first included) is appended here.
CREATE TABLE batch_events (
    id        BIGSERIAL PRIMARY KEY,
    batch_id  BIGINT NOT NULL REFERENCES batches(id),
    status    TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX batch_events_batch ON batch_events(batch_id, id);

-- Clone policies (per brand, and per product with gtin set) and the alerts they raise.
-- Both are append-only: the newest policy row of a (brand, gtin) is the one in force.
CREATE TABLE clone_policies (
    id                 INTEGER PRIMARY KEY,
    brand_id           INTEGER NOT NULL REFERENCES brands(id),
    gtin               TEXT NOT NULL DEFAULT '',
    max_verifications  INTEGER,
    max_speed_kmh      REAL,
    max_regions        INTEGER,
    set_at             TEXT NOT NULL
);
CREATE INDEX clone_policies_scope ON clone_policies(brand_id, gtin, id);

CREATE TABLE alerts (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    brand_id  INTEGER REFERENCES brands(id),  -- NULL: no brand could be named (fakes)
    kind      TEXT NOT NULL,
    code      TEXT NOT NULL,
    evidence  TEXT NOT NULL,
    details   TEXT NOT NULL
);
CREATE INDEX alerts_brand ON alerts(brand_id, id);
CREATE INDEX alerts_code ON alerts(brand_id, code, kind);

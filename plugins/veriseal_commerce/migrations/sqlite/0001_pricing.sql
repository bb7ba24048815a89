-- Price lists, their rows and promotions (veriseal_commerce.pricing_store). Money is
-- BIGINT minor units with a currency column; percentages are exact decimals as text.
CREATE TABLE commerce_price_lists (
    id          INTEGER PRIMARY KEY,
    brand_id    INTEGER NOT NULL REFERENCES brands(id),
    name        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (brand_id, name)
);
-- A row: scope (gtin | category_id | everything), narrowed by level / org subtree /
-- region, a volume tier (min_qty), a validity window, and a price that is fixed
-- (amount) or a percentage of another list (base_list_id, percent), then rounding.
CREATE TABLE commerce_price_rows (
    id            INTEGER PRIMARY KEY,
    brand_id      INTEGER NOT NULL REFERENCES brands(id),
    list_id       INTEGER NOT NULL REFERENCES commerce_price_lists(id),
    gtin          TEXT,
    category_id   INTEGER,
    level         TEXT CHECK (level IN ('distributor', 'sub_distributor', 'retailer', 'consumer')),
    org_id        INTEGER,
    region        TEXT,
    min_qty       INTEGER NOT NULL CHECK (min_qty >= 1),
    valid_from    TEXT,
    valid_until   TEXT,
    amount        INTEGER NOT NULL CHECK (amount >= 0),
    base_list_id  INTEGER REFERENCES commerce_price_lists(id),
    percent       TEXT NOT NULL,
    rounding      TEXT NOT NULL CHECK (rounding IN ('none', 'end_8', 'end_9_9')),
    created_at    TEXT NOT NULL
);
CREATE INDEX commerce_price_rows_brand ON commerce_price_rows(brand_id, list_id);
-- A promotion: its conditions and benefit details in spec (JSON); the counters used by
-- the usage limits live on the row, which record_usage locks while checking them.
CREATE TABLE commerce_promotions (
    id            INTEGER PRIMARY KEY,
    brand_id      INTEGER NOT NULL REFERENCES brands(id),
    name          TEXT NOT NULL,
    benefit       TEXT NOT NULL,
    currency      TEXT NOT NULL,
    priority      INTEGER NOT NULL,
    exclusive     INTEGER NOT NULL,
    spec          TEXT NOT NULL,
    per_order     INTEGER,
    per_dealer    INTEGER,
    overall       INTEGER,
    budget        INTEGER,
    active        INTEGER NOT NULL,
    used_orders   INTEGER NOT NULL DEFAULT 0,
    used_amount   INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);
CREATE INDEX commerce_promotions_brand ON commerce_promotions(brand_id, active);
-- One order's use of a promotion (released when the order is cancelled or expires).
CREATE TABLE commerce_promotion_uses (
    id            INTEGER PRIMARY KEY,
    promotion_id  INTEGER NOT NULL REFERENCES commerce_promotions(id) ON DELETE CASCADE,
    brand_id      INTEGER NOT NULL,
    order_id      INTEGER NOT NULL,
    org_id        INTEGER NOT NULL,
    amount        INTEGER NOT NULL,
    at            TEXT NOT NULL,
    released_at   TEXT,
    UNIQUE (promotion_id, order_id)
);
CREATE INDEX commerce_promotion_uses_dealer ON commerce_promotion_uses(promotion_id, org_id);
CREATE INDEX commerce_promotion_uses_order ON commerce_promotion_uses(order_id);

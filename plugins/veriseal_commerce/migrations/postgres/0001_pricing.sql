-- Price lists, their rows and promotions (veriseal_commerce.pricing_store). Money is
-- BIGINT minor units with a currency column; percentages are exact decimals as text.
CREATE TABLE commerce_price_lists (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL REFERENCES brands(id),
    name        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (brand_id, name)
);
-- A row: scope (gtin | category_id | everything), narrowed by level / org subtree /
-- region, a volume tier (min_qty), a validity window, and a price that is fixed
-- (amount) or a percentage of another list (base_list_id, percent), then rounding.
CREATE TABLE commerce_price_rows (
    id            BIGSERIAL PRIMARY KEY,
    brand_id      BIGINT NOT NULL REFERENCES brands(id),
    list_id       BIGINT NOT NULL REFERENCES commerce_price_lists(id),
    gtin          TEXT,
    category_id   BIGINT,
    level         TEXT CHECK (level IN ('distributor', 'sub_distributor', 'retailer', 'consumer')),
    org_id        BIGINT,
    region        TEXT,
    min_qty       BIGINT NOT NULL CHECK (min_qty >= 1),
    valid_from    TIMESTAMPTZ,
    valid_until   TIMESTAMPTZ,
    amount        BIGINT NOT NULL CHECK (amount >= 0),
    base_list_id  BIGINT REFERENCES commerce_price_lists(id),
    percent       TEXT NOT NULL,
    rounding      TEXT NOT NULL CHECK (rounding IN ('none', 'end_8', 'end_9_9')),
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX commerce_price_rows_brand ON commerce_price_rows(brand_id, list_id);
-- A promotion: its conditions and benefit details in spec (JSON); the counters used by
-- the usage limits live on the row, which record_usage locks while checking them.
CREATE TABLE commerce_promotions (
    id            BIGSERIAL PRIMARY KEY,
    brand_id      BIGINT NOT NULL REFERENCES brands(id),
    name          TEXT NOT NULL,
    benefit       TEXT NOT NULL,
    currency      TEXT NOT NULL,
    priority      BIGINT NOT NULL,
    exclusive     BOOLEAN NOT NULL,
    spec          TEXT NOT NULL,
    per_order     BIGINT,
    per_dealer    BIGINT,
    overall       BIGINT,
    budget        BIGINT,
    active        BOOLEAN NOT NULL,
    used_orders   BIGINT NOT NULL DEFAULT 0,
    used_amount   BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX commerce_promotions_brand ON commerce_promotions(brand_id, active);
-- One order's use of a promotion (released when the order is cancelled or expires).
CREATE TABLE commerce_promotion_uses (
    id            BIGSERIAL PRIMARY KEY,
    promotion_id  BIGINT NOT NULL REFERENCES commerce_promotions(id) ON DELETE CASCADE,
    brand_id      BIGINT NOT NULL,
    order_id      BIGINT NOT NULL,
    org_id        BIGINT NOT NULL,
    amount        BIGINT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    released_at   TIMESTAMPTZ,
    UNIQUE (promotion_id, order_id)
);
CREATE INDEX commerce_promotion_uses_dealer ON commerce_promotion_uses(promotion_id, org_id);
CREATE INDEX commerce_promotion_uses_order ON commerce_promotion_uses(order_id);

-- Stock-movement rollups (veriseal_analytics.stock_store): inventory's stock posts
-- booked once each (analytics_stock_posts: redelivery books nothing) into one cube the
-- stock dashboard reads (analytics_stock_cube: per local day, warehouse, product and
-- movement kind, the units that came in and went out). A product's category is the one
-- it had when its first movement of the row was booked (a dimension, not a key).
-- Days are the brand's local days as 'YYYY-MM-DD' on both backends.
CREATE TABLE analytics_stock_posts (
    post_id     BIGINT PRIMARY KEY,  -- inventory's post id
    brand_id    BIGINT NOT NULL,
    day         TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX analytics_stock_posts_brand ON analytics_stock_posts(brand_id, post_id);

CREATE TABLE analytics_stock_cube (
    brand_id     BIGINT NOT NULL,
    day          TEXT NOT NULL,
    warehouse_id BIGINT NOT NULL,
    gtin         TEXT NOT NULL,
    kind         TEXT NOT NULL,       -- inbound | outbound | transfer | adjustment | return | ...
    category_id  BIGINT,             -- the product's leaf category when booked
    units_in     BIGINT NOT NULL DEFAULT 0,
    units_out    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (brand_id, day, warehouse_id, gtin, kind)
);
CREATE INDEX analytics_stock_cube_gtin ON analytics_stock_cube(brand_id, gtin, day);

-- The analytics plugin (veriseal_analytics.rollup_store): what its consumers booked,
-- once each (analytics_booked), the booked order lines (analytics_lines: the facts
-- behind behaviour and recommendations) and the rollups the dashboards read
-- (analytics_cube: one row per cube, day and key, so a dashboard never scans raw rows).
-- Days are the brand's local calendar days as 'YYYY-MM-DD' text on both backends.
CREATE TABLE analytics_booked (
    kind      TEXT NOT NULL,       -- sale | reversal | return
    ref       INTEGER NOT NULL,    -- the order's or the return's id
    brand_id  INTEGER NOT NULL,
    day       TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (kind, ref)
);

CREATE TABLE analytics_lines (
    id          INTEGER PRIMARY KEY,
    brand_id    INTEGER NOT NULL,
    kind        TEXT NOT NULL,      -- sale | reversal | return
    ref         INTEGER NOT NULL,   -- order id (sale, reversal) or return id
    order_id    INTEGER NOT NULL,
    org_id      INTEGER NOT NULL,
    day         TEXT NOT NULL,
    hour        INTEGER NOT NULL,   -- local hour of day 0..23
    gtin        TEXT NOT NULL,
    category_id INTEGER,
    province    TEXT NOT NULL,      -- '' when the region is unknown
    city        TEXT NOT NULL,
    channel     TEXT NOT NULL,      -- the dealer's organisation kind
    units       INTEGER NOT NULL,   -- negative on a reversal
    amount      INTEGER NOT NULL    -- revenue (sale, reversal) or refund (return)
);
CREATE INDEX analytics_lines_day ON analytics_lines(brand_id, day);
CREATE INDEX analytics_lines_org ON analytics_lines(brand_id, org_id, day);
CREATE INDEX analytics_lines_ref ON analytics_lines(kind, ref);

CREATE TABLE analytics_cube (
    brand_id       INTEGER NOT NULL,
    cube           TEXT NOT NULL,   -- all | product | category | dealer | province | city | city_dealer | channel
    day            TEXT NOT NULL,
    key            TEXT NOT NULL,
    orders         INTEGER NOT NULL DEFAULT 0,
    units          INTEGER NOT NULL DEFAULT 0,
    revenue        INTEGER NOT NULL DEFAULT 0,
    returned_units INTEGER NOT NULL DEFAULT 0,
    refunded       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (brand_id, cube, day, key)
);

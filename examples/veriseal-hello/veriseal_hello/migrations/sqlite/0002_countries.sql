-- The countries each brand's codes were first scanned in, and by which scan: what makes
-- a "new country" notice go out once per brand and country.
CREATE TABLE hello_countries (
    brand_id       INTEGER NOT NULL,
    country        TEXT NOT NULL,
    first_scan_id  INTEGER NOT NULL,
    PRIMARY KEY (brand_id, country)
);

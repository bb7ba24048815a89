-- One row per recorded scan, by country ("" when the scan had no location): the plugin's
-- own table, named with its prefix as every plugin table must be.
CREATE TABLE hello_scan_counts (
    scan_id  BIGINT PRIMARY KEY,
    country  TEXT NOT NULL
);

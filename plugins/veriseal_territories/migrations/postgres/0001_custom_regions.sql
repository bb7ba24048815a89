-- Custom sales regions drawn as GeoJSON polygons, per brand. Append-only: redefining a
-- region appends a row; the newest row of a (brand, name) is the one in force, and a row
-- with an empty geojson removes it.
CREATE TABLE territories_custom_regions (
    id          BIGSERIAL PRIMARY KEY,
    brand_id    BIGINT NOT NULL REFERENCES brands(id),
    name        TEXT NOT NULL,
    geojson     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX territories_custom_regions_name ON territories_custom_regions(brand_id, name, id);

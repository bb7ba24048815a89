-- Saved report definitions (analytics_reports), export jobs (analytics_exports: the
-- file itself lives in [plugins.analytics] export_dir, private to the server's user)
-- and imported external market data (analytics_market, one row per CSV line).
CREATE TABLE analytics_reports (
    id          INTEGER PRIMARY KEY,
    brand_id    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL,          -- JSON ReportSpec
    owner_id    INTEGER,               -- NULL: made by the local operator
    share_role  TEXT NOT NULL DEFAULT '',
    share_user  INTEGER,
    schedule    TEXT NOT NULL DEFAULT '',  -- '' | daily | weekly | monthly
    email       TEXT NOT NULL DEFAULT '',
    next_run_at TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (brand_id, name)
);

CREATE TABLE analytics_exports (
    id           INTEGER PRIMARY KEY,
    brand_id     INTEGER NOT NULL,
    requested_by INTEGER,
    spec         TEXT NOT NULL,          -- JSON ReportSpec
    format       TEXT NOT NULL CHECK (format IN ('csv', 'xlsx', 'pdf')),
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    rows_done    INTEGER NOT NULL DEFAULT 0,
    rows_total   INTEGER,
    file_name    TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX analytics_exports_brand ON analytics_exports(brand_id, id);

CREATE TABLE analytics_market (
    id          INTEGER PRIMARY KEY,
    brand_id    INTEGER NOT NULL,
    date        TEXT NOT NULL,
    period      TEXT NOT NULL,
    metric      TEXT NOT NULL,
    value       TEXT NOT NULL,         -- a decimal, exact
    unit        TEXT NOT NULL,
    region      TEXT NOT NULL DEFAULT '',
    category    TEXT NOT NULL DEFAULT '',
    competitor  TEXT NOT NULL DEFAULT '',
    product     TEXT NOT NULL DEFAULT '',
    gtin        TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL,
    UNIQUE (brand_id, date, metric, region, category, competitor, product)
);
CREATE INDEX analytics_market_metric ON analytics_market(brand_id, metric, date);

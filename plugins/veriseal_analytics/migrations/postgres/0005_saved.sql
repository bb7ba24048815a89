-- Saved report definitions, shared with roles or users, delivered on a schedule.
-- Replaces the unused draft table analytics_reports of 0003, which mailed a free-text
-- address: a schedule sends only to users who may see the report (their own e-mail
-- address, their own notification settings), never to an address typed into a form.
DROP TABLE analytics_reports;

CREATE TABLE analytics_saved (
    id             BIGSERIAL PRIMARY KEY,
    brand_id       BIGINT NOT NULL,
    name           TEXT NOT NULL,
    definition     TEXT NOT NULL,                 -- JSON ReportSpec
    owner_id       BIGINT,                          -- NULL: saved by the local operator
    schedule       TEXT NOT NULL DEFAULT '' CHECK (schedule IN ('', 'daily', 'weekly', 'monthly')),
    format         TEXT NOT NULL DEFAULT 'xlsx' CHECK (format IN ('csv', 'xlsx', 'pdf')),
    lang           TEXT NOT NULL DEFAULT 'zh' CHECK (lang IN ('zh', 'en')),
    next_run_at    TIMESTAMPTZ,                           -- NULL: not scheduled
    claimed_until  TIMESTAMPTZ,                           -- a delivery in progress (a lease)
    last_run_at    TIMESTAMPTZ,
    last_export_id BIGINT,
    last_error     TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (brand_id, name)
);
CREATE INDEX analytics_saved_due ON analytics_saved(next_run_at);

-- Who else sees a report: a role ('role', 'brand_admin') or a user ('user', '42').
CREATE TABLE analytics_saved_shares (
    report_id  BIGINT NOT NULL REFERENCES analytics_saved(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('role', 'user')),
    target     TEXT NOT NULL,
    PRIMARY KEY (report_id, kind, target)
);

-- Who receives the scheduled delivery besides the owner (each must see the report).
CREATE TABLE analytics_saved_recipients (
    report_id  BIGINT NOT NULL REFERENCES analytics_saved(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL,
    PRIMARY KEY (report_id, user_id)
);

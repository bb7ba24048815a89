-- A consumer's own verifications and suspected-fake reports (docs/consumer.md).
--
-- A scan made by a signed-in user (the console's scan page, a printed link opened in a
-- browser holding a console session, a handheld upload) names the user: "my
-- verifications" is one indexed range per user. NULL for anonymous scans and for rows
-- recorded before this migration (never rewritten: the ledger is append-only). A
-- partial index: most scans are anonymous and need no entry in it.
ALTER TABLE scans ADD COLUMN user_id BIGINT REFERENCES users(id);
CREATE INDEX scans_user ON scans(user_id, id) WHERE user_id IS NOT NULL;

-- A consumer's report of a suspected fake, for the brand of the code (NULL: no brand
-- could be named, the platform's). It raised alert alert_id (kind consumer_report).
CREATE TABLE fake_reports (
    id        BIGSERIAL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    brand_id  BIGINT REFERENCES brands(id),
    user_id   BIGINT REFERENCES users(id),
    code      TEXT NOT NULL DEFAULT '',
    gtin      TEXT,
    lot       TEXT,
    scan_id   BIGINT REFERENCES scans(id),
    place     TEXT NOT NULL DEFAULT '',
    note      TEXT NOT NULL DEFAULT '',
    contact   TEXT NOT NULL DEFAULT '',
    status    TEXT NOT NULL,
    alert_id  BIGINT REFERENCES alerts(id)
);
CREATE INDEX fake_reports_brand ON fake_reports(brand_id, id);
CREATE INDEX fake_reports_user ON fake_reports(user_id, id);

-- A report's photos, re-encoded and sealed with the keyring (personal data: never a
-- public file). ``evidence_sealed``: what the photo's EXIF said of where and when it
-- was taken (JSON, sealed too), for the brand; the stored image carries no EXIF.
CREATE TABLE fake_report_photos (
    report_id        BIGINT NOT NULL REFERENCES fake_reports(id),
    n                INTEGER NOT NULL,
    media_type       TEXT NOT NULL,
    photo_sealed     BYTEA NOT NULL,
    evidence_sealed  BYTEA,
    PRIMARY KEY (report_id, n)
);

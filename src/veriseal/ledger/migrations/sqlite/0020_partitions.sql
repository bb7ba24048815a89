-- PostgreSQL's 0020 partitions scans and stream_events by month; SQLite's ledger is one
-- file with one writer and is not partitioned (its archive is a copy of the file).
-- What both share: a handheld's client scan ids move from a unique index on scans to a
-- table of their own. On PostgreSQL scans is partitioned (0020 there), and a
-- unique index of a partitioned table must contain the partition key: (actor,
-- client_scan_id) could then only be unique within one partition, and a retried upload
-- must be recognised whenever it arrives. Here the same table keeps the code one.
CREATE TABLE scan_client_ids (
    actor           TEXT NOT NULL,
    client_scan_id  TEXT NOT NULL,
    scan_id         INTEGER NOT NULL,
    PRIMARY KEY (actor, client_scan_id)
);
INSERT INTO scan_client_ids (actor, client_scan_id, scan_id)
    SELECT actor, client_scan_id, id FROM scans WHERE client_scan_id IS NOT NULL;
DROP INDEX scans_client_id;

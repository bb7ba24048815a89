-- Print jobs (veriseal.printing.jobs): one row per job, append-only. A job covers the
-- inclusive index range first_index..last_index of a batch; reprint_of names the
-- earliest job whose labels a reprint repeats (a jammed roll), NULL for a first print.
CREATE TABLE print_jobs (
    id            BIGSERIAL PRIMARY KEY,
    brand_id      BIGINT NOT NULL REFERENCES brands(id),
    batch_id      BIGINT NOT NULL REFERENCES batches(id),
    first_index   BIGINT NOT NULL,
    last_index    BIGINT NOT NULL,
    template      TEXT NOT NULL,
    line          TEXT NOT NULL DEFAULT '',
    operator      TEXT NOT NULL DEFAULT '',
    reprint_of    BIGINT REFERENCES print_jobs(id),
    output_sha256 TEXT NOT NULL,
    printed_at    TIMESTAMPTZ NOT NULL,
    CHECK (first_index >= 0 AND last_index >= first_index)
);
CREATE INDEX print_jobs_batch ON print_jobs(batch_id, first_index);

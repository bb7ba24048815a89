-- One row per event a probe consumer applied: doubles show as two rows of one position.
CREATE TABLE probe_applied (
    id        BIGSERIAL PRIMARY KEY,
    consumer  TEXT NOT NULL,
    position  BIGINT NOT NULL,
    kind      TEXT NOT NULL
);

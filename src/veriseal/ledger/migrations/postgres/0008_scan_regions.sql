-- Every scan with a location carries the region it was resolved to OFFLINE when it was
-- recorded (veriseal.regions): ISO 3166-1 country, ISO 3166-2 province (or
-- "<country>:<name>" where no ISO code is known), the nearest place's name, and the
-- GB/T 2260 provincial code in China. NULL for scans without a location and for rows
-- recorded before this migration (they are never rewritten: the ledger is append-only).
ALTER TABLE scans ADD COLUMN country TEXT;
ALTER TABLE scans ADD COLUMN province TEXT;
ALTER TABLE scans ADD COLUMN city TEXT;
ALTER TABLE scans ADD COLUMN gb2260 TEXT;
-- the "more than M distinct regions" clone rule: distinct provinces of one code
CREATE INDEX scans_code_province ON scans(brand_id, code, province);

-- One index for a code's scans where there were two (issue 20). scans_code
-- (brand_id, code, id) served a code's history and scans_code_province (brand_id, code,
-- province) the regions rule; each put a page at a random place in the index into
-- every group commit (codes arrive in no order), and together with scan_codes they were
-- most of the WAL a group of scans writes. The new scans_code keeps the old one's order,
-- so every history read walks it as before, and carries the columns the regions rule
-- reads (province, outcome, loc_source), so that rule reads the index alone instead of
-- each scan's row. Measured on a copy of a 100,000-scan benchmark ledger, groups of 16:
-- insert and commit 38.4 -> 29.5 us of CPU per scan on SQLite.
DROP INDEX scans_code;
DROP INDEX scans_code_province;
CREATE INDEX scans_code ON scans(brand_id, code, id, province, outcome, loc_source);

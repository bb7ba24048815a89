-- One index for a code's scans where there were two (issue 20). scans_code
-- (brand_id, code, id) served a code's history and scans_code_province (brand_id, code,
-- province) the regions rule; each put a page at a random place in the index into
-- every group commit (codes arrive in no order), and together with scan_codes they were
-- most of the WAL a group of scans writes. The new scans_code keeps the old one's order,
-- so every history read walks it as before, and carries the columns the regions rule
-- reads (province, outcome, loc_source), so that rule reads the index alone instead of
-- each scan's row. benchmarks/bench_scan_path.py, append per scan in groups of 16 (twice,
-- alternated): SQLite 40.4 / 39.2 -> 35.4 / 35.6 us of CPU (11.9x / 11.8x -> 10.8x /
-- 10.6x a bare INSERT measured in the same run); bench_http: 21.2 / 21.4 -> 15.5 / 15.3
-- kB written per verification on SQLite.
DROP INDEX scans_code;
DROP INDEX scans_code_province;
CREATE INDEX scans_code ON scans(brand_id, code, id, province, outcome, loc_source);

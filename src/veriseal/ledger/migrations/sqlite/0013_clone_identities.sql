-- Two more clone rules (docs/scanning.md): distinct consumer devices of one code, and
-- scans of a batch's never-activated or voided codes (a stolen roll).
--
-- A web/API scan whose device presented no cookie (a first visit, a cookie-less client)
-- keeps a digest of its client network: scans of one code from cookie-less clients of
-- one network count as one device. NULL for every other scan and for the rows recorded
-- before this migration (never rewritten: the ledger is append-only).
ALTER TABLE scans ADD COLUMN client TEXT;
-- Policy rows recorded before these rules get the rules' defaults (NULL switches a rule
-- off, so it cannot stand for "not chosen"); keep them equal to veriseal.models.ClonePolicy.
ALTER TABLE clone_policies ADD COLUMN max_devices INTEGER DEFAULT 4;
ALTER TABLE clone_policies ADD COLUMN devices_window_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE clone_policies ADD COLUMN max_unactivated_scans INTEGER DEFAULT 0;
-- An alert that stands for a group of findings (the batch of a stolen roll: one alert,
-- not one per scan) names its group and is updated in place while the group is active:
-- its evidence and figures grow, updated_at says when they last did. Alerts of one scan
-- (every other kind) leave both NULL and are never updated.
ALTER TABLE alerts ADD COLUMN group_key TEXT;
ALTER TABLE alerts ADD COLUMN updated_at TEXT;
CREATE INDEX alerts_group ON alerts(brand_id, kind, group_key, id);

-- A scan's `at` is when the scan HAPPENED. For a handheld's offline batch that is the
-- time the device reported (`scanned_at`), which can be hours before the upload;
-- `received_at` then keeps the server's receive time. NULL means `at` is itself the
-- receive time: every scan without a device time, and every row recorded before this
-- migration (never rewritten: the ledger is append-only).
ALTER TABLE scans ADD COLUMN received_at TEXT;

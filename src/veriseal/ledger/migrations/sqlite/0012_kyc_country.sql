-- The country of a real-name submission (ISO 3166-1 alpha-2): 'CN' for persons and
-- Chinese enterprises (resident ID / unified social credit code), another for a foreign
-- enterprise verified by its registration number there (veriseal.accounts.kyc).
ALTER TABLE kyc_submissions ADD COLUMN country TEXT NOT NULL DEFAULT 'CN';

-- The shipments a receiver was sent, newest first: how the EPCIS export names the
-- shipper of goods a dealer scans in (veriseal_territories.epcis_export).
CREATE INDEX territories_movements_to ON territories_movements(brand_id, to_org, id);

-- A dealer's own views (veriseal_territories.network): the movements that left its
-- organisations, newest first (those that reached them use territories_movements_to),
-- and the diversion alerts that concern them.
CREATE INDEX territories_movements_from ON territories_movements(brand_id, from_org, id);
CREATE INDEX territories_alerts_org ON territories_alerts(brand_id, org_id, id);

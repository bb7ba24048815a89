-- What a shipment to a dealer not authorized for the goods where they go does, per
-- brand (veriseal_territories.shipment_policy): appended settings, the newest wins.
-- dealer_check: shipments from a dealer; warehouse_check: from the brand's warehouse.
CREATE TABLE territories_shipment_policy (
    id               INTEGER PRIMARY KEY,
    brand_id         INTEGER NOT NULL REFERENCES brands(id),
    dealer_check     TEXT NOT NULL CHECK (dealer_check IN ('refuse', 'flag', 'off')),
    warehouse_check  TEXT NOT NULL CHECK (warehouse_check IN ('refuse', 'flag', 'off')),
    actor            TEXT NOT NULL,
    at               TEXT NOT NULL
);
CREATE INDEX territories_shipment_policy_brand ON territories_shipment_policy(brand_id, id);

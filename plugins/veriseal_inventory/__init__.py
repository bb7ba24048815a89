"""The inventory plugin: stock per warehouse from an append-only movement ledger.

Movements are the truth; balances (per warehouse, location, product and lot) and levels
(per warehouse and product) are caches kept in the same transaction and rebuildable from
the movements. See docs/inventory.md."""

"""Veriseal's bundled **logistics** plugin: waybills of shipments, carrier events in one
status vocabulary (快递100 push, signed webhooks, CSV, pollers), planned routes and
ETAs, and alerts for stalled, late, off-route and misdelivered shipments
(docs/logistics.md)."""

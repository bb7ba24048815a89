"""The lifecycle domain: activation and decommission, aggregation (packing), the event
ledger, EPCIS export, SSCCs and index ranges. See docs/lifecycle.md."""

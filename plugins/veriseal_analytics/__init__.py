"""Veriseal's bundled **analytics** plugin: rollups of orders, payments, returns,
shipments, scans and stock movements kept from the event stream; sales statistics,
custom reports with CSV, XLSX and PDF exports, scan and behaviour analytics,
recommendations and market trends (docs/analytics.md)."""

"""Veriseal inventory plugin: stock per warehouse from an append-only movement ledger."""

"""The inventory plugin's schema: ``inventory_*`` tables, one numbered file per dialect."""

"""The commerce plugin's schema: ``commerce_*`` tables, one numbered file per dialect."""

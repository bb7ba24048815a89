"""The hello plugin's migrations: ``sqlite/`` and ``postgres/``, the same tables."""

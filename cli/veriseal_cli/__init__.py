"""The ``veriseal`` command line: click groups over the core's services."""

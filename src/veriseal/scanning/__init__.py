"""The scanning domain: verification, the scan service, handheld uploads, clone rules
and scan records."""

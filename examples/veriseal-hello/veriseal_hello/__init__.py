"""veriseal-hello: a small third-party Veriseal plugin (see README.md).

It counts recorded scans by country, tells a brand's admins when its codes are first
scanned in a new country, and imports nothing but ``veriseal`` and ``veriseal.extend``.
"""

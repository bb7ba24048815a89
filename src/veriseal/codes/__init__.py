"""Pure code formats: serial layouts, SIV and signed profiles, PINs, GTIN, Digital Link.

Nothing here does I/O or touches a database, a server or an event loop (enforced by the
import-linter contract in pyproject.toml).
"""

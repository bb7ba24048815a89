"""The scanning tests run on the catalog tests' engine over each real ledger backend."""

from __future__ import annotations

from tests.catalog.conftest import brand, engine, key_file

__all__ = ["brand", "engine", "key_file"]

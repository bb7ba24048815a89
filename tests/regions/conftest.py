"""The engine fixture of tests/plugins, for the region tests."""

from tests.plugins.conftest import open_engine

__all__ = ["open_engine"]

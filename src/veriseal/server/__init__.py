"""The aiohttp server: GS1 Digital Link resolver routes, verdict page, JSON API."""

from veriseal.server.app import make_app

__all__ = ["make_app"]

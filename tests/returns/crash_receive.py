"""Run as a process by test_crash.py: receive a return's units as brand user
``user_id`` with client id ``client_id`` (``VERISEAL_FAILPOINT`` may SIGKILL it midway).
Arguments: ledger URL, key file, user id, return number, client id, codes..."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from veriseal import SYSTEM_PRINCIPAL
from veriseal.catalog.keys import KeySource
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal_commerce.service import of


async def main(url: str, key: str, user_id: str, return_no: str, client_id: str,
               *codes: str) -> None:  # fmt: skip
    plugins = ("territories", "commerce", "inventory")
    engine = await Engine.open(Config(None, url, KeySource(key_file=Path(key)), plugins=plugins))
    try:
        user = await engine.accounts.user(SYSTEM_PRINCIPAL, int(user_id))
        principal = await engine.accounts.principal(user)
        goods = of(engine.plugins.context("commerce")).return_goods
        await goods.receive(principal, return_no, list(codes), client_id=client_id)
    finally:
        await engine.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))

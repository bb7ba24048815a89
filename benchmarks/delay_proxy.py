"""A TCP proxy that delays every byte by a fixed time each way: a database "further away".

On this machine PostgreSQL answers over loopback in microseconds; a production ledger's
server is usually on another host, a few hundred microseconds away per round trip, and
then a group commit's seven round trips, not its CPU, bound what one writer commits.
Put this proxy between a benchmark and PostgreSQL to measure that case::

    python benchmarks/delay_proxy.py --listen 5433 --to 127.0.0.1:5432 --delay-ms 1 &
    PYTHONPATH=src:cli:plugins python benchmarks/bench_http.py --backends postgres \\
        --pg postgresql://postgres@127.0.0.1:5433/postgres

Each direction of each connection forwards its chunks in order, each ``--delay-ms``
after it arrived, so a round trip costs twice that plus the proxy's own time. The event
loop's timers have millisecond resolution: ``--delay-ms 1`` measured a 2.4 ms round trip
of ``SELECT 1`` (0.09 ms direct). The proxy runs on the same cores as everything else,
which the figures it is used for must say.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Forward ``reader`` to ``writer``, each chunk ``delay`` seconds after it arrived."""
    loop = asyncio.get_running_loop()
    due: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()  # None: the end

    async def send() -> None:
        while (item := await due.get()) is not None:
            when, data = item
            await asyncio.sleep(max(0.0, when - loop.time()))
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        while data := await reader.read(65536):
            due.put_nowait((loop.time() + delay, data))
    finally:
        due.put_nowait(None)
        with contextlib.suppress(ConnectionError):
            await sender
            writer.close()


class Proxy:
    """A listening proxy: :attr:`port`, and :meth:`close` to stop it and its relays."""

    def __init__(self, to: str, delay: float) -> None:
        self._host, port = to.rsplit(":", 1)
        self._port, self._delay = int(port), delay
        self._relays: set[asyncio.Task[object]] = set()
        self.server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self._host, self._port)
        except OSError:
            writer.close()
            return
        both = asyncio.gather(
            _pipe(reader, up_writer, self._delay),
            _pipe(up_reader, writer, self._delay),
            return_exceptions=True,
        )
        self._relays.add(both)
        both.add_done_callback(self._relays.discard)
        await both

    async def close(self) -> None:
        """Stop listening; give the open relays a moment to finish, then cut them."""
        if self.server is not None:
            self.server.close()
        if self._relays:
            _, late = await asyncio.wait(set(self._relays), timeout=1)
            for relay in late:
                relay.cancel()


async def serve(listen: int, to: str, delay: float) -> Proxy:
    """Listen on 127.0.0.1:``listen`` (0: any free port), forwarding each connection to
    ``to`` (host:port) with ``delay`` seconds each way. The caller closes it."""
    proxy = Proxy(to, delay)
    proxy.server = await asyncio.start_server(proxy.relay, "127.0.0.1", listen)
    return proxy


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, default=5433, help="port on 127.0.0.1")
    parser.add_argument("--to", default="127.0.0.1:5432", help="host:port to forward to")
    parser.add_argument("--delay-ms", type=float, default=1.0, help="each way")
    args = parser.parse_args()
    proxy = await serve(args.listen, args.to, args.delay_ms / 1000)
    assert proxy.server is not None
    async with proxy.server:
        await proxy.server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())

"""New device ids: unpredictable, well-formed, and never handed out twice, by one
process, its threads or a process forked from it (they come from a buffer of the OS's
random bytes, read 256 ids at a time)."""

from __future__ import annotations

import os
import threading

from aiohttp.test_utils import make_mocked_request

from veriseal.server.scan_context import DEVICE_COOKIE, FRESH_IDS, FreshIds, device_id


def test_a_new_device_id_is_22_url_safe_characters_and_is_accepted_back() -> None:
    device, new = device_id(make_mocked_request("GET", "/01/09506000134352/21/X"))
    assert new and len(device) == 22
    assert set(device) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    again = make_mocked_request(
        "GET", "/01/09506000134352/21/X", headers={"Cookie": f"{DEVICE_COOKIE}={device}"}
    )
    assert device_id(again) == (device, False)


def test_ids_are_distinct_across_many_refills() -> None:
    ids = FreshIds()
    taken = [ids.take() for _ in range(5_000)]  # about 20 reads of the OS's generator
    assert len(set(taken)) == len(taken)


def test_threads_taking_ids_at_once_never_share_one() -> None:
    ids = FreshIds()
    got: list[list[str]] = [[] for _ in range(4)]

    def take(out: list[str]) -> None:
        for _ in range(3_000):
            out.append(ids.take())

    threads = [threading.Thread(target=take, args=(out,)) for out in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for out in got for i in out]
    assert len(set(every)) == len(every) == 12_000


def test_a_forked_process_hands_out_none_of_its_parents_ids() -> None:
    """The buffer is the parent's: a worker forked from it (``serve --workers``) must
    read its own, or two workers would give two phones one id."""
    FRESH_IDS.take()  # the buffer now holds ids the parent has not handed out yet
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        try:
            os.write(write, " ".join(FRESH_IDS.take() for _ in range(50)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split())
    os.waitpid(pid, 0)
    parent = {FRESH_IDS.take() for _ in range(50)}
    assert len(child) == 50 and not child & parent
